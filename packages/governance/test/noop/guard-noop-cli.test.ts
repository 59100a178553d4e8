/**
 * `matriz guard noop`, `noop-label` and `noop-stats`, run in-process against fixture repositories.
 * Every test that runs the guard checks the repository is byte-identical afterwards.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import {
  createFixtureRepository,
  snapshotDirectory,
  type FixtureCommit,
  type FixtureRepository,
} from './support/git-fixture.js';

let fixture: FixtureRepository;
let bare: FixtureRepository;
let work: string;
let snapshot: string;
let bareSnapshot: string;

const COMMITS: readonly FixtureCommit[] = [
  { branch: 'main', files: { 'src/a.ts': 'export const a = 1;\n', 'README.md': '# A\n' } },
  // 1: formatting only
  {
    branch: 'main',
    files: { 'src/a.ts': 'export const a  =  1\n', 'README.md': '# A\n' },
    parent: 0,
  },
  // 2: a real change
  {
    branch: 'main',
    files: { 'src/a.ts': 'export const a = 2;\n', 'README.md': '# A\n' },
    parent: 1,
  },
  // 3: empty commit
  {
    branch: 'main',
    files: { 'src/a.ts': 'export const a = 2;\n', 'README.md': '# A\n' },
    parent: 2,
  },
  // 4: a rename under docs, and the base carries a policy allowing it
  {
    branch: 'policy',
    files: { '.matriz/noop.yml': "renames: ['docs/**']\n", 'docs/a.md': '# A\n' },
  },
  {
    branch: 'policy',
    files: { '.matriz/noop.yml': "renames: ['docs/**']\n", 'docs/b.md': '# A\n' },
    parent: 4,
  },
  // 6: a change that relaxes its own policy is judged by the base's policy
  { branch: 'relax', files: { 'docs/a.md': '# A\n' } },
  {
    branch: 'relax',
    files: { '.matriz/noop.yml': "renames: ['docs/**']\n", 'docs/b.md': '# A\n' },
    parent: 6,
  },
  // 8: a broken policy in the base
  { branch: 'broken', files: { '.matriz/noop.yml': 'renames: docs\n', 'a.ts': 'x;\n' } },
  { branch: 'broken', files: { '.matriz/noop.yml': 'renames: docs\n', 'a.ts': 'x\n' }, parent: 8 },
];

beforeAll(() => {
  fixture = createFixtureRepository(COMMITS, { checkout: 'main' });
  bare = createFixtureRepository(COMMITS, { bare: true });
  work = mkdtempSync(path.join(os.tmpdir(), 'matriz-noop-cwd-'));
  snapshot = snapshotDirectory(fixture.directory);
  bareSnapshot = snapshotDirectory(bare.directory);
});

afterAll(() => {
  fixture.remove();
  bare.remove();
  rmSync(work, { recursive: true, force: true });
});

function commit(index: number): string {
  return fixture.commits[index] ?? '';
}

async function run(
  args: readonly string[],
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: work, ...(stdin === undefined ? {} : { stdin }) });
  const code = await main(['guard', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('matriz guard noop', () => {
  it('exits 1 for a formatting-only commit, naming each path and reason', async () => {
    const result = await run(['noop', '--repo', fixture.directory, commit(1), '--no-audit-log']);
    expect(result.code).toBe(1);
    expect(result.out).toContain('M src/a.ts: no-op:');
    expect(result.out).toContain('[equal-syntax-tree]');
    expect(result.out).toContain('NO-OP: 1 changed path, none of substance');
  });

  it('exits 0 for a real change and reports the line that differs', async () => {
    const result = await run([
      'noop',
      '--repo',
      fixture.directory,
      '--base',
      commit(1),
      '--head',
      commit(2),
      '--no-audit-log',
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('M src/a.ts:1: substantive:');
    expect(result.out).toContain('(NumericLiteral 1 became NumericLiteral 2)');
    expect(result.out).toContain('[content-changed]');
  });

  it('exits 1 for an empty commit, with no paths', async () => {
    const result = await run([
      'noop',
      '--repo',
      fixture.directory,
      commit(3),
      '--no-audit-log',
      '--format',
      'json',
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as { verdict: string; paths: unknown[] };
    expect(report.verdict).toBe('noop');
    expect(report.paths).toEqual([]);
  });

  it('judges a root commit against the empty tree: every file is an addition', async () => {
    const result = await run(['noop', '--repo', fixture.directory, commit(0), '--no-audit-log']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('A src/a.ts: substantive: a file was added [added]');
  });

  it('works on a bare repository', async () => {
    const result = await run([
      'noop',
      '--repo',
      bare.directory,
      bare.commits[1] ?? '',
      '--no-audit-log',
    ]);
    expect(result.code).toBe(1);
    const real = await run([
      'noop',
      '--repo',
      bare.directory,
      bare.commits[2] ?? '',
      '--no-audit-log',
    ]);
    expect(real.code).toBe(0);
  });

  it('works on a SHA-256 repository, root commit included', async () => {
    const sha256 = createFixtureRepository(
      [
        { branch: 'main', files: { 'a.py': 'x = 1\n', 'd/r.md': '# T\n' } },
        { branch: 'main', files: { 'a.py': 'x  =  1\n', 'd/s.md': '# T\n' }, parent: 0 },
      ],
      { objectFormat: 'sha256', checkout: 'main' },
    );
    try {
      expect(sha256.commits[1]).toMatch(/^[0-9a-f]{64}$/);
      const root = await run([
        'noop',
        '--repo',
        sha256.directory,
        sha256.commits[0] ?? '',
        '--no-audit-log',
      ]);
      expect(root.code).toBe(0);
      expect(root.out).toContain('A d/r.md');
      const second = await run(['noop', '--repo', sha256.directory, 'HEAD', '--no-audit-log']);
      expect(second.out).toContain('M a.py: no-op');
      expect(second.out).toContain('R d/s.md (from d/r.md): substantive');
    } finally {
      sha256.remove();
    }
  });

  it('reads the policy from the base revision, so a rename allowed there is a no-op', async () => {
    const result = await run(['noop', '--repo', fixture.directory, commit(5), '--no-audit-log']);
    expect(result.code).toBe(1);
    expect(result.out).toContain('[rename-allowed-by-policy]');
    expect(result.out).toContain(`policy ${commit(4).slice(0, 12)}:.matriz/noop.yml`);
  });

  it('does not let a change relax the policy that judges it', async () => {
    const result = await run(['noop', '--repo', fixture.directory, commit(7), '--no-audit-log']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('[renamed]');
    expect(result.out).toContain('A .matriz/noop.yml');
  });

  it('uses --config instead of the repository policy when given', async () => {
    const config = path.join(work, 'strict.yml');
    writeFileSync(config, 'comments: substantive\n');
    const result = await run([
      'noop',
      '--repo',
      fixture.directory,
      commit(5),
      '--config',
      config,
      '--no-audit-log',
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('[renamed]');
  });

  it('refuses an invalid policy with exit 2 and says where', async () => {
    const fromBase = await run(['noop', '--repo', fixture.directory, commit(9), '--no-audit-log']);
    expect(fromBase.code).toBe(2);
    expect(fromBase.err).toContain(
      '.matriz/noop.yml: /renames must be array [noop-config-invalid]',
    );
    const config = path.join(work, 'bad.yml');
    writeFileSync(config, "semanticComments: ['(']\n");
    const badRegex = await run([
      'noop',
      '--repo',
      fixture.directory,
      commit(1),
      '--config',
      config,
      '--no-audit-log',
    ]);
    expect(badRegex.code).toBe(2);
    expect(badRegex.err).toContain('/semanticComments/0: not a regular expression');
    const missing = await run([
      'noop',
      '--repo',
      fixture.directory,
      commit(1),
      '--config',
      path.join(work, 'nope.yml'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('[noop-config-unreadable]');
  });

  it('exits 2 for an unknown revision, a directory that is no repository, and bad usage', async () => {
    const unknown = await run([
      'noop',
      '--repo',
      fixture.directory,
      'no-such-branch',
      '--no-audit-log',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(
      /"no-such-branch" does not name a commit in .* \[unknown-revision\]/,
    );
    const notRepo = await run(['noop', '--repo', work, 'HEAD', '--no-audit-log']);
    expect(notRepo.code).toBe(2);
    expect(notRepo.err).toContain('[not-a-repository]');
    const neither = await run(['noop', '--repo', fixture.directory]);
    expect(neither.code).toBe(2);
    expect(neither.err).toContain('give --base REV and --head REV');
    const both = await run(['noop', '--repo', fixture.directory, 'HEAD', '--base', 'HEAD~1']);
    expect(both.code).toBe(2);
    const option = await run(['noop', '--repo', fixture.directory, '--end-of-options']);
    expect(option.code).toBe(2);
  });

  it('prints SARIF 2.1.0 with one result per no-op path, and none for a substantive change', async () => {
    const flagged = await run([
      'noop',
      '--repo',
      fixture.directory,
      commit(1),
      '--no-audit-log',
      '--format',
      'sarif',
    ]);
    const log = JSON.parse(flagged.out) as {
      version: string;
      runs: {
        results: {
          ruleId: string;
          locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
        }[];
      }[];
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.results.map((r) => r.ruleId)).toEqual(['equal-syntax-tree']);
    expect(log.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      'src/a.ts',
    );
    const empty = await run([
      'noop',
      '--repo',
      fixture.directory,
      commit(3),
      '--no-audit-log',
      '--format',
      'sarif',
    ]);
    const emptyLog = JSON.parse(empty.out) as {
      runs: { results: { ruleId: string; locations?: unknown }[] }[];
    };
    expect(emptyLog.runs[0]?.results[0]?.ruleId).toBe('empty-change');
    expect(emptyLog.runs[0]?.results[0]?.locations).toBeUndefined();
    const real = await run([
      'noop',
      '--repo',
      fixture.directory,
      commit(2),
      '--no-audit-log',
      '--format',
      'sarif',
    ]);
    expect((JSON.parse(real.out) as { runs: { results: unknown[] }[] }).runs[0]?.results).toEqual(
      [],
    );
  });

  it('judges one BASE HEAD pair per line in batch mode, from a file or stdin', async () => {
    const list = path.join(work, 'pairs.txt');
    writeFileSync(list, `# pairs\n${commit(0)} ${commit(1)}\n\n${commit(2)}\n${commit(1)} nope\n`);
    const result = await run(['noop', '--repo', fixture.directory, '--batch', list]);
    const lines = result.out
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { verdict?: string; head: string; error?: { code: string } },
      );
    expect(lines.map((l) => l.verdict ?? l.error?.code)).toEqual([
      'noop',
      'substantive',
      'unknown-revision',
    ]);
    expect(result.code).toBe(2);
    const stdin = await run(
      ['noop', '--repo', fixture.directory, '--batch', '-'],
      `${commit(1)}\n`,
    );
    expect(stdin.code).toBe(0);
    expect(
      (JSON.parse(stdin.out) as { verdict: string; paths: { reason: string }[] }).paths[0]?.reason,
    ).toBe('equal-syntax-tree');
    const conflicting = await run(['noop', '--repo', fixture.directory, '--batch', list, 'HEAD']);
    expect(conflicting.code).toBe(2);
    const unreadable = await run([
      'noop',
      '--repo',
      fixture.directory,
      '--batch',
      path.join(work, 'none.txt'),
    ]);
    expect(unreadable.code).toBe(2);
  });

  it('never modifies the repositories it reads', () => {
    expect(snapshotDirectory(fixture.directory)).toBe(snapshot);
    expect(snapshotDirectory(bare.directory)).toBe(bareSnapshot);
  });
});

describe('audit log, labels and stats', () => {
  it('appends one JSON line per run, labels flags, and computes the false-positive rate', async () => {
    const log = path.join(work, 'audit', 'noop.jsonl');
    const flagged = await run([
      'noop',
      '--repo',
      fixture.directory,
      commit(1),
      '--audit-log',
      log,
      '--format',
      'json',
    ]);
    const flaggedRun = (JSON.parse(flagged.out) as { run_id: string }).run_id;
    await run(['noop', '--repo', fixture.directory, commit(2), '--audit-log', log]);
    await run(['noop', '--repo', fixture.directory, commit(3), '--audit-log', log]);
    const records = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      type: 'run',
      run_id: flaggedRun,
      repository: fixture.directory,
      base: commit(0),
      head: commit(1),
      verdict: 'noop',
      guard_version: expect.any(String) as unknown,
      config_digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown,
      paths: [
        { path: 'src/a.ts', status: 'modified', verdict: 'noop', reason: 'equal-syntax-tree' },
      ],
    });
    expect(Date.parse(String(records[0]?.time))).not.toBeNaN();

    const labelled = await run([
      'noop-label',
      flaggedRun,
      'false-positive',
      '--by',
      'ana',
      '--audit-log',
      log,
    ]);
    expect(labelled.code).toBe(0);
    expect(labelled.out).toContain('labelled false-positive by ana');

    const stats = await run(['noop-stats', '--audit-log', log, '--json']);
    expect(JSON.parse(stats.out)).toMatchObject({
      runs: 3,
      flags: 2,
      labelled_false_positives: 1,
      labelled_true_positives: 0,
      unlabelled_flags: 1,
      true_negatives: 1,
      false_positive_rate: 0.5,
    });
    const text = await run(['noop-stats', '--audit-log', log]);
    expect(text.out).toContain('false_positive_rate = FP / (FP + TN) = 50.00 %');

    const relabel = await run(
      ['noop-label', flaggedRun, 'true-positive', '--audit-log', log],
      undefined,
    );
    expect(relabel.code).toBe(0);
    const after = JSON.parse((await run(['noop-stats', '--audit-log', log, '--json'])).out) as {
      false_positive_rate: number;
    };
    expect(after.false_positive_rate).toBe(0);
  });

  it('refuses to label an unknown run, a run that was not flagged, or an unknown label', async () => {
    const log = path.join(work, 'labels.jsonl');
    const real = await run([
      'noop',
      '--repo',
      fixture.directory,
      commit(2),
      '--audit-log',
      log,
      '--format',
      'json',
    ]);
    const realRun = (JSON.parse(real.out) as { run_id: string }).run_id;
    const notFlagged = await run(['noop-label', realRun, 'false-positive', '--audit-log', log]);
    expect(notFlagged.code).toBe(2);
    expect(notFlagged.err).toContain('[not-flagged]');
    const unknown = await run(['noop-label', 'feed', 'false-positive', '--audit-log', log]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('[unknown-run]');
    const badLabel = await run(['noop-label', realRun, 'maybe', '--audit-log', log]);
    expect(badLabel.code).toBe(2);
    expect(badLabel.err).toContain('false-positive or true-positive');
  });

  it('reports no rate before any run, and refuses a log with a foreign line', async () => {
    const empty = await run(['noop-stats', '--audit-log', path.join(work, 'absent.jsonl')]);
    expect(empty.code).toBe(0);
    expect(empty.out).toContain('n/a (no runs)');
    const corrupt = path.join(work, 'corrupt.jsonl');
    writeFileSync(corrupt, '{"type":"run","run_id":"a","verdict":"noop","paths":[]}\nnot json\n');
    const result = await run(['noop-stats', '--audit-log', corrupt]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('corrupt.jsonl:2: not a No-Op guard audit record');
  });

  it('writes the audit log to .matriz/audit/noop-guard.jsonl under the working directory by default', async () => {
    await run(['noop', '--repo', fixture.directory, commit(1)]);
    const records = readFileSync(path.join(work, '.matriz', 'audit', 'noop-guard.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(snapshotDirectory(fixture.directory)).toBe(snapshot);
  });
});
