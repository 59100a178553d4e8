/**
 * The dashboards in ops/grafana/dashboards/ are exactly what ops/grafana/dashboards.ts builds
 * (`npm run dashboards` rewrites them), and each is well formed: a unique uid, a Prometheus data
 * source variable, and panels whose every query selects the matriz job. That every query runs
 * and returns data is test/ops/prometheus-live.test.ts.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboards, panelQueries } from '../../ops/grafana/dashboards.js';

const DIR = path.resolve(import.meta.dirname, '../../ops/grafana/dashboards');
const WRITE = process.env.MATRIZ_WRITE_DASHBOARDS === '1';

function serialized(dashboard: unknown): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

describe('Grafana dashboards', () => {
  it('are the generated files, and no others', () => {
    const built = dashboards();
    if (WRITE)
      for (const { file, dashboard } of built)
        writeFileSync(path.join(DIR, file), serialized(dashboard));
    expect(readdirSync(DIR).sort()).toStrictEqual(built.map((d) => d.file).sort());
    for (const { file, dashboard } of built)
      expect(readFileSync(path.join(DIR, file), 'utf8'), `${file}: run npm run dashboards`).toBe(
        serialized(dashboard),
      );
  });

  it.each(dashboards())(
    '$file has a unique uid, a data source variable and queries of the matriz or node job',
    ({ dashboard }) => {
      expect(dashboards().filter((d) => d.dashboard.uid === dashboard.uid)).toHaveLength(1);
      expect(dashboard.templating.list?.[0]).toMatchObject({
        name: 'datasource',
        type: 'datasource',
        query: 'prometheus',
      });
      const queries = panelQueries(dashboard);
      expect(queries.length).toBeGreaterThanOrEqual(5);
      for (const { panel, expr } of queries) expect(expr, panel).toMatch(/job="(matriz|node)"/);
    },
  );
});
