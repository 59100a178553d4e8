/**
 * The steering's list of tricky cases (test/fixtures/noop/noop-cases.md): each row is pinned by at
 * least one fixture repository and the guard's verdict and reason on it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compilePolicy,
  DEFAULT_POLICY_SOURCE,
  GitRepository,
  judgeChange,
} from '../../src/noop/index.js';
import { NOOP_CASES } from './noop-cases.js';
import {
  createFixtureRepository,
  snapshotDirectory,
  type FixtureRepository,
} from './support/git-fixture.js';

let fixture: FixtureRepository;
let repository: GitRepository;
let snapshot: string;

beforeAll(async () => {
  fixture = createFixtureRepository(
    NOOP_CASES.flatMap((c, index) => [
      { branch: `case-${index}`, files: c.before },
      {
        branch: `case-${index}`,
        files: c.after,
        parent: index * 2,
        message: c.message ?? 'change',
      },
    ]),
    { checkout: 'case-0' },
  );
  snapshot = snapshotDirectory(fixture.directory);
  repository = await GitRepository.open(fixture.directory);
});

afterAll(() => {
  repository.close();
  fixture.remove();
});

describe('noop-cases.md', () => {
  it.each(NOOP_CASES.map((c, index) => [`#${c.row} ${c.behaviour}`, c, index] as const))(
    '%s',
    async (_, c, index) => {
      const policy = compilePolicy({ ...DEFAULT_POLICY_SOURCE, ...c.policy });
      const base = fixture.commits[index * 2] ?? '';
      const head = fixture.commits[index * 2 + 1] ?? '';
      const judgement = await judgeChange(repository, base, head, policy);
      expect(judgement.verdict).toBe(c.verdict);
      if (c.row === 41) expect(judgement.paths).toEqual([]);
      else expect(judgement.paths.length).toBeGreaterThan(0);
      if (c.reason !== undefined) {
        const deciding =
          c.verdict === 'substantive'
            ? judgement.paths.find((p) => p.verdict === 'substantive')
            : judgement.paths[0];
        expect(deciding?.reason, JSON.stringify(judgement.paths, null, 1)).toBe(c.reason);
      }
      for (const path of judgement.paths) expect(path.detail.length).toBeGreaterThan(0);
    },
  );

  it('covers every row of noop-cases.md with at least one fixture', () => {
    const table = readFileSync(new URL('../fixtures/noop/noop-cases.md', import.meta.url), 'utf8');
    const rows = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(rows.length).toBe(50);
    const covered = new Set(NOOP_CASES.map((c) => c.row));
    expect(rows.filter((row) => !covered.has(row))).toEqual([]);
  });

  it('pins the verdict the table gives for each row', () => {
    const table = readFileSync(new URL('../fixtures/noop/noop-cases.md', import.meta.url), 'utf8');
    for (const match of table.matchAll(/^\| (\d+) \| [^|]+ \| ([^|]+) \|/gm)) {
      const row = Number(match[1]);
      const verdict = (match[2] ?? '').toLowerCase();
      const cases = NOOP_CASES.filter((c) => c.row === row);
      // "no-op ..." rows must have at least one no-op fixture; every other row only substantive ones,
      // except where the row itself names exceptions or policy (1, 9, 12, 16, 21, 22, 25, 28, 29, 30, 36, 38, 39, 40, 43).
      if (verdict.startsWith('no-op'))
        expect(
          cases.some((c) => c.verdict === 'noop'),
          `row ${row}`,
        ).toBe(true);
      else
        expect(
          cases.some((c) => c.verdict === 'substantive'),
          `row ${row}`,
        ).toBe(true);
    }
  });

  it('never writes to the repository: index, HEAD, refs, objects and work tree are byte-identical', () => {
    expect(snapshotDirectory(fixture.directory)).toBe(snapshot);
  });
});
