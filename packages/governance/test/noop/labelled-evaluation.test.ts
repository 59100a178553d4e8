/**
 * The labelled real-history harness: parsing a labels file, scoring recall and false positives per
 * repository and label source. The shared development set (../shared/noop-real) is used only when
 * it exists and MATRIZ_NOOP_REAL=1 asks for it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateLabelled, LabelsError, parseLabels } from '../../src/noop/labelled-evaluation.js';
import { compilePolicy } from '../../src/noop/policy.js';
import { createFixtureRepository, type FixtureRepository } from './support/git-fixture.js';

let fixture: FixtureRepository;

beforeAll(() => {
  fixture = createFixtureRepository(
    [
      { branch: 'main', files: { 'a.ts': 'export const a = 1;\n' } },
      { branch: 'main', files: { 'a.ts': 'export const a  =  1\n' }, parent: 0 },
      { branch: 'main', files: { 'a.ts': 'export const a = 2;\n' }, parent: 1 },
    ],
    { checkout: 'main' },
  );
});

afterAll(() => {
  fixture.remove();
});

const header = 'repo\tbase\thead\tlabel\tsource\tnote\n';

describe('parseLabels', () => {
  it('reads rows by the header names and refuses bad labels and short ids with the line', () => {
    const id = 'a'.repeat(40);
    expect(parseLabels(`${header}r\t${id}\t${id}\tnoop\tverified\tx y\n\n`)).toEqual([
      { repo: 'r', base: id, head: id, label: 'noop', source: 'verified', note: 'x y' },
    ]);
    expect(() => parseLabels(`${header}r\t${id}\t${id}\tmaybe\ts\tn\n`)).toThrow(
      /line 2: label "maybe"/,
    );
    expect(() => parseLabels(`${header}r\tabc\t${id}\tnoop\ts\tn\n`)).toThrow(LabelsError);
    expect(() => parseLabels('repo\tbase\n')).toThrow(/no "head" column/);
  });
});

describe('evaluateLabelled', () => {
  it('scores recall on no-op rows and false positives on substantive rows, with the deciding paths', async () => {
    const [c0 = '', c1 = '', c2 = ''] = fixture.commits;
    const pairs = parseLabels(
      `${header}fx\t${c0}\t${c1}\tnoop\tverified\tformat\n` +
        `fx\t${c1}\t${c2}\tnoop\twrong\tvalue\n` +
        `fx\t${c1}\t${c2}\tsubstantive\trandom\tvalue\n` +
        `fx\t${c0}\t${c1}\tsubstantive\tmislabelled\tformat\n`,
    );
    const report = await evaluateLabelled({
      pairs,
      repositories: { fx: fixture.directory },
      policy: compilePolicy(),
    });
    expect(report).toMatchObject({
      pairs: 4,
      noopPairs: 2,
      noopFlagged: 1,
      recall: 0.5,
      substantivePairs: 2,
      falsePositives: 1,
      falsePositiveRate: 0.5,
    });
    expect(report.bySource['noop verified']).toMatchObject({ pairs: 1, noopFlagged: 1 });
    expect(report.misses.map((m) => m.paths)).toEqual([
      [expect.objectContaining({ path: 'a.ts', reason: 'content-changed' })],
    ]);
    expect(report.falsePositiveCommits.map((f) => f.source)).toEqual(['mislabelled']);
    expect(report.commitsPerSecond).toBeGreaterThan(0);
  });

  it('refuses labels naming a repository it was not given', async () => {
    const id = fixture.commits[0] ?? '';
    await expect(
      evaluateLabelled({
        pairs: parseLabels(`${header}other\t${id}\t${id}\tnoop\ts\tn\n`),
        repositories: { fx: fixture.directory },
        policy: compilePolicy(),
      }),
    ).rejects.toThrow(/no repository given for other/);
  });
});

const shared = path.resolve(import.meta.dirname, '../../../../../shared/noop-real');
const clones = process.env.MATRIZ_NOOP_REAL_CLONES ?? '/tmp/noop-real';
describe.skipIf(
  process.env.MATRIZ_NOOP_REAL !== '1' || !existsSync(path.join(shared, 'labels.tsv')),
)(
  'the shared development set (opt-in: MATRIZ_NOOP_REAL=1, clones in MATRIZ_NOOP_REAL_CLONES)',
  () => {
    it('flags no labelled substantive commit, and at least 95 % of the no-ops', async () => {
      const { readFileSync } = await import('node:fs');
      const pairs = parseLabels(readFileSync(path.join(shared, 'labels.tsv'), 'utf8'));
      const report = await evaluateLabelled({
        pairs,
        repositories: { flask: path.join(clones, 'flask'), express: path.join(clones, 'express') },
        policy: compilePolicy(),
      });
      expect(report.recall).toBeGreaterThanOrEqual(0.95);
      expect(report.falsePositiveCommits.map((f) => f.head.slice(0, 12))).toEqual([]);
    }, 600_000);
  },
);
