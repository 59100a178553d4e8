/** The evaluation harness: verdict counts, flags, and scoring by Noop-Eval trailers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateHistory, parseHistory } from '../../src/noop/evaluation.js';
import { compilePolicy } from '../../src/noop/policy.js';
import {
  createFixtureRepository,
  snapshotDirectory,
  type FixtureRepository,
} from './support/git-fixture.js';

let fixture: FixtureRepository;
let snapshot: string;

beforeAll(() => {
  fixture = createFixtureRepository(
    [
      { branch: 'main', files: { 'a.ts': 'export const a = 1;\n' }, message: 'start' },
      {
        branch: 'main',
        files: { 'a.ts': 'export const a  =  1\n' },
        parent: 0,
        message: 'format\n\nNoop-Eval: noop reformat',
      },
      {
        branch: 'main',
        files: { 'a.ts': 'export const a = 2;\n' },
        parent: 1,
        message: 'bump\n\nNoop-Eval: substantive value',
      },
      {
        branch: 'main',
        files: { 'a.ts': 'export const a = 3;\n' },
        parent: 2,
        message: 'claims noop\n\nNoop-Eval: noop mislabelled',
      },
      {
        branch: 'main',
        files: { 'a.ts': 'export const a = 3;\n' },
        parent: 3,
        message: 'empty\n\nNoop-Eval: substantive wrong',
      },
    ],
    { checkout: 'main' },
  );
  snapshot = snapshotDirectory(fixture.directory);
});

afterAll(() => {
  fixture.remove();
});

describe('evaluateHistory', () => {
  it('judges every commit against its first parent, oldest first, and scores the trailers', async () => {
    const progress: number[] = [];
    const report = await evaluateHistory({
      repository: fixture.directory,
      policy: compilePolicy(),
      onProgress: (done) => progress.push(done),
    });
    expect(report.commits).toBe(5);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(report.flags.map((f) => f.subject)).toEqual(['format', 'empty']);
    expect(report.reasons).toMatchObject({
      added: 1,
      'equal-syntax-tree': 1,
      'content-changed': 2,
    });
    expect(report.commitsPerSecond).toBeGreaterThan(0);
    expect(report.scored).toMatchObject({
      noopCommits: 2,
      noopFlagged: 1,
      recall: 0.5,
      substantiveCommits: 2,
      falsePositives: 1,
    });
    expect(
      report.scored?.transforms.map(
        (t) => `${t.expected} ${t.transform} ${t.correct}/${t.commits}`,
      ),
    ).toEqual([
      'noop mislabelled 0/1',
      'noop reformat 1/1',
      'substantive value 1/1',
      'substantive wrong 0/1',
    ]);
  });

  it('limits the history to the newest commits and reports no score without trailers', async () => {
    const report = await evaluateHistory({
      repository: fixture.directory,
      policy: compilePolicy(),
      limit: 1,
      revision: fixture.commits[0] ?? '',
    });
    expect(report.commits).toBe(1);
    expect(report.scored).toBeUndefined();
  });

  it('leaves the repository byte-identical', () => {
    expect(snapshotDirectory(fixture.directory)).toBe(snapshot);
  });

  it('parses git log output into commits, subjects and trailers', () => {
    expect(
      parseHistory('abc\u0000subject\n\nNoop-Eval: noop x\n\u001e\ndef\u0000other\n\u001e\n'),
    ).toEqual([
      { commit: 'abc', subject: 'subject', expected: { verdict: 'noop', transform: 'x' } },
      { commit: 'def', subject: 'other' },
    ]);
  });
});
