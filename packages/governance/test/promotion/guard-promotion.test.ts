import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { createRepository, type TestRepository } from './git-repository.js';

let repo: TestRepository;
let base: string;

beforeEach(() => {
  repo = createRepository();
  base = repo.commit({
    'core/engine.ts': 'export const engine = 1;\n',
    'candidate/idea.ts': 'export const idea = 1;\n',
    'README.md': '# project\n',
  });
});

afterEach(() => {
  repo.remove();
});

async function guard(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: repo.dir, env });
  const code = await main(['guard', 'promotion', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

function auditLines(file = '.matriz/audit/promotion-guard.jsonl'): Record<string, unknown>[] {
  return readFileSync(path.join(repo.dir, file), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function issuesState(states: Record<string, string>): string {
  const file = path.join(repo.dir, 'issues.json');
  writeFileSync(file, JSON.stringify(states));
  return file;
}

describe('matriz guard promotion', () => {
  it('blocks a marker in a production lane and reports file:line:column', async () => {
    const head = repo.commit({
      'core/engine.ts':
        'export const engine = 1;\nconst key = "k"; // TEMP-STUB(#12): use ML-DSA\n',
    });
    const result = await guard([
      '--base',
      base,
      '--head',
      head,
      '--issues-state',
      issuesState({ 12: 'closed' }),
    ]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      'core/engine.ts:2:21: error: TEMP-STUB(#12): use ML-DSA in production lane "core" [marker-in-production-lane]',
    );
    expect(result.out).toContain('promotion guard: BLOCKED');
    expect(result.out).toMatch(/Remediation:\n {2}1\. Finish the stubbed work/);
  });

  it('blocks a bare TEMP-STUB in a configuration file of a production lane', async () => {
    const head = repo.commit({ 'lukhas/settings.yml': 'signing: TEMP-STUB\n' });
    const result = await guard(['--base', base, '--head', head]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      'lukhas/settings.yml:1:10: error: TEMP-STUB in production lane "lukhas"',
    );
    expect(result.out).toContain('(no tracking issue named: write TEMP-STUB(#<issue>): <reason>)');
  });

  it('does not block a marker outside the production lanes', async () => {
    const head = repo.commit({
      'candidate/idea.ts': '// TEMP-STUB(#12): not done\n',
      'core/engine.ts': 'export const engine = 2;\n',
    });
    const result = await guard(['--base', base, '--head', head]);
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      'promotion guard: ALLOWED: 0 reason(s), 1 production-lane file scanned',
    );
    expect(auditLines()).toMatchObject([{ decision: 'allow', findings: [], reasons: [] }]);
  });

  it('blocks when the change removes a marker whose tracking issue is still open', async () => {
    const stubbed = repo.commit({ 'core/engine.ts': '// TEMP-STUB(#12): pending\nexport {};\n' });
    const head = repo.commit({ 'core/engine.ts': 'export const done = true;\n' });
    const state = issuesState({ 12: 'open' });
    const result = await guard(['--base', stubbed, '--head', head, '--issues-state', state]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      'removed by this change but its tracking issue #12 is still open [tracking-issue-open]',
    );
    expect(result.out).toContain('issue #12: open');
    expect(result.out).toContain('Close each open tracking issue when its work is complete');
    expect(auditLines()).toMatchObject([
      {
        decision: 'block',
        findings: [],
        removed_markers: [{ file: 'core/engine.ts', issue: 12 }],
        issues: { 12: 'open' },
        reasons: [{ code: 'tracking-issue-open', file: 'core/engine.ts', line: 1, column: 4 }],
      },
    ]);
  });

  it('allows the same change once the tracking issue is closed', async () => {
    const stubbed = repo.commit({ 'core/engine.ts': '// TEMP-STUB(#12): pending\nexport {};\n' });
    const head = repo.commit({ 'core/engine.ts': 'export const done = true;\n' });
    const result = await guard([
      '--base',
      stubbed,
      '--head',
      head,
      '--issues-state',
      issuesState({ 12: 'closed' }),
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('issue #12: closed');
  });

  it('blocks when a referenced issue is missing from the offline state file, and says why', async () => {
    const stubbed = repo.commit({ 'core/engine.ts': '// TEMP-STUB(#31): pending\n' });
    const head = repo.commit({ 'core/engine.ts': 'export {};\n' });
    const result = await guard([
      '--base',
      stubbed,
      '--head',
      head,
      '--issues-state',
      issuesState({ 12: 'closed' }),
    ]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      /tracking issue #31 has an unknown state: issue #31 is not listed in .*issues\.json/,
    );
    expect(auditLines()).toMatchObject([
      {
        decision: 'block',
        issues: { 31: expect.stringMatching(/^unknown: issue #31 is not listed in /) as unknown },
        reasons: [{ code: 'tracking-issue-state-unknown' }],
      },
    ]);
  });

  it('blocks when no issue state source is configured, naming the ways to configure one', async () => {
    const stubbed = repo.commit({ 'core/engine.ts': '// TEMP-STUB(#31): pending\n' });
    const head = repo.commit({ 'core/engine.ts': 'export {};\n' });
    const result = await guard(['--base', stubbed, '--head', head], {
      GITHUB_REPOSITORY: 'acme/app',
    });
    expect(result.code).toBe(1);
    expect(result.out).toContain('set GITHUB_TOKEN and --github-repo OWNER/NAME');
    expect(result.out).toContain('Make issue states knowable');
  });

  it('appends every decision, allow and block, to the audit log as one JSON line', async () => {
    const clean = repo.commit({ 'core/engine.ts': 'export const engine = 2;\n' });
    const stubbed = repo.commit({ 'core/engine.ts': '// TEMP-STUB(#5): later\n' });
    expect((await guard(['--base', base, '--head', clean])).code).toBe(0);
    expect(
      (await guard(['--base', clean, '--head', stubbed], { GITHUB_ACTOR: 'octocat' })).code,
    ).toBe(1);
    const [allowed, blocked, ...rest] = auditLines();
    expect(rest).toEqual([]);
    expect(allowed).toMatchObject({
      actor: 'Ada Tester <ada@example.test>',
      mode: 'change',
      base,
      head: clean,
      decision: 'allow',
      findings: [],
    });
    expect(blocked).toMatchObject({
      actor: 'octocat',
      base: clean,
      head: stubbed,
      decision: 'block',
      findings: [
        {
          file: 'core/engine.ts',
          line: 1,
          column: 4,
          lane: 'core',
          marker: 'TEMP-STUB',
          issue: 5,
          reason: 'later',
        },
      ],
      issues: { 5: expect.stringMatching(/^unknown: /) as unknown },
    });
    expect(Date.parse(String(blocked?.time))).not.toBeNaN();
  });

  it('gives no decision when the audit log cannot be written', async () => {
    const head = repo.commit({ 'core/engine.ts': 'export const engine = 2;\n' });
    writeFileSync(path.join(repo.dir, 'blocker'), '');
    const result = await guard([
      '--base',
      base,
      '--head',
      head,
      '--audit-log',
      'blocker/audit.jsonl',
    ]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/blocker.*\[(EEXIST|ENOTDIR)\]/);
    expect(result.out).toBe('');
  });

  it('writes the audit log where --audit-log says, creating its directory', async () => {
    const head = repo.commit({ 'core/engine.ts': '// TEMP-STUB\n' });
    await guard(['--base', base, '--head', head, '--audit-log', 'artifacts/audit/promotion.jsonl']);
    expect(auditLines('artifacts/audit/promotion.jsonl')).toHaveLength(1);
  });

  it('scans every file of the lanes with --all, honouring a lane manifest with excludes', async () => {
    repo.commit({
      '.matriz/lanes.yml':
        'production_lanes:\n  - name: shipped\n    paths: ["src/**"]\n    exclude: ["src/fixtures/**"]\n',
      'src/a.ts': 'export {};\n',
      'src/deep/b.ts': '\n\n  TEMP-STUB(#2): b\n',
      'src/fixtures/c.txt': 'TEMP-STUB\n',
      'core/engine.ts': 'TEMP-STUB\n',
    });
    const result = await guard([
      '--all',
      '--issues-state',
      issuesState({ 2: 'closed' }),
      '--format',
      'json',
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as {
      mode: string;
      scanned_files: string[];
      findings: { file: string; line: number }[];
    };
    expect(report.mode).toBe('all');
    expect(report.scanned_files).toEqual(['src/a.ts', 'src/deep/b.ts']);
    expect(report.findings.map((f) => `${f.file}:${f.line}`)).toEqual(['src/deep/b.ts:3']);
  });

  it('writes SARIF 2.1.0 results that point at the marker', async () => {
    const head = repo.commit({ 'core/engine.ts': 'x\n  TEMP-STUB(#9): y\n' });
    const result = await guard([
      '--base',
      base,
      '--head',
      head,
      '--format',
      'sarif',
      '--issues-state',
      issuesState({ 9: 'open' }),
    ]);
    expect(result.code).toBe(1);
    const sarif = JSON.parse(result.out) as {
      version: string;
      runs: {
        results: {
          ruleId: string;
          locations: {
            physicalLocation: {
              artifactLocation: { uri: string };
              region: { startLine: number; startColumn: number };
            };
          }[];
        }[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.results.map((r) => r.ruleId)).toEqual([
      'marker-in-production-lane',
      'tracking-issue-open',
    ]);
    expect(sarif.runs[0]?.results[0]?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'core/engine.ts' },
      region: { startLine: 2, startColumn: 3 },
    });
    expect(result.err).toContain('Remediation:');
  });

  it('refuses to run without a scope, with both scopes, or with an unknown revision', async () => {
    expect((await guard([])).err).toContain('give --base REV and --head REV');
    expect((await guard(['--all', '--base', base, '--head', base])).err).toContain(
      'either --all or --base',
    );
    const unknown = await guard(['--base', base, '--head', 'no-such-branch']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('"no-such-branch" is not a commit');
  });

  it('refuses a malformed issue state file or lane manifest instead of guessing', async () => {
    const bad = path.join(repo.dir, 'bad.json');
    writeFileSync(bad, '{"12": "maybe"}');
    const result = await guard(['--all', '--issues-state', bad]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('issue 12 has state "maybe"');
    writeFileSync(path.join(repo.dir, 'lanes.yml'), 'production_lanes: []\n');
    const lanes = await guard(['--all', '--lanes', 'lanes.yml']);
    expect(lanes.code).toBe(2);
    expect(lanes.err).toContain('[lanes-invalid]');
    expect((await guard(['--all', '--lanes', 'missing.yml'])).err).toContain('[lanes-unreadable]');
  });
});
