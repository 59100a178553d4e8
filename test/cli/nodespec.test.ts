import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Log } from 'sarif';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/examples.js';
import { tempDir } from '../support/tmp.js';

const REPO = path.resolve(import.meta.dirname, '../..');
let dir: string;

beforeEach(() => {
  dir = tempDir();
});

async function run(args: string[], stdin?: string) {
  const io = captureIo({ cwd: dir, ...(stdin === undefined ? {} : { stdin }) });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

function write(name: string, contents: string | Uint8Array): string {
  writeFileSync(path.join(dir, name), contents);
  return name;
}

function validSpec(): string {
  return readFileSync(path.join(EXAMPLES_DIR, 'signal_router.json'), 'utf8');
}

describe('matriz nodespec validate', () => {
  it('exits 0 and says so when every file is valid', async () => {
    write('a.json', validSpec());
    const { code, out } = await run(['nodespec', 'validate', 'a.json']);
    expect(code).toBe(0);
    expect(out).toBe('a.json: ok\n1 file checked: 1 valid, 0 invalid (0 errors, 0 warnings)\n');
  });

  it.each([
    [
      'invalid JSON',
      '{\n  "node_type": "x",\n  oops\n}',
      'a.json:3:3: error: unexpected "oops": expected a member name in double quotes [json-syntax]',
    ],
    [
      'a duplicate key',
      '{\n  "node_type": "a.b",\n  "node_type": "a.c"\n}',
      'a.json:3:3: error: duplicate member name "node_type"; it is first used at line 2, column 3 [json-duplicate-key]',
    ],
    [
      'a top level that is not an object',
      '[\n  1\n]\n',
      'a.json:1:1: error: the top level must be a JSON object, found an array [nodespec-schema]',
    ],
    [
      'nesting deeper than 64',
      `{"x": ${'['.repeat(64)}${']'.repeat(64)}}`,
      'a.json:1:70: error: nesting is deeper than the limit of 64 levels [json-too-deep]',
    ],
    [
      'a lone surrogate',
      '{"x": "\\udead"}',
      'a.json:1:8: error: escaped lone UTF-16 surrogate in a string (I-JSON, RFC 7493 section 2.1) [json-not-i-json]',
    ],
  ])('exits 1 on %s with file:line:column', async (_name, source, line) => {
    write('a.json', source);
    const { code, out } = await run(['nodespec', 'validate', 'a.json']);
    expect(code).toBe(1);
    expect(out.split('\n')[0]).toBe(line);
  });

  it('exits 1 on invalid UTF-8 with the position of the bad byte', async () => {
    write('a.json', new Uint8Array([0x7b, 0x0a, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]));
    const { code, out } = await run(['nodespec', 'validate', 'a.json']);
    expect(code).toBe(1);
    expect(out).toMatch(/^a\.json:2:2: error: invalid UTF-8: byte 0xc3 at byte offset 3/);
  });

  it('exits 1 on a file over the size limit without reading it, and the limit is configurable', async () => {
    write('a.json', validSpec());
    const small = await run(['nodespec', 'validate', '--max-bytes', '100', 'a.json']);
    expect(small.code).toBe(1);
    expect(small.out).toMatch(
      /^a\.json:1:1: error: file is \d+ bytes; the limit is 100 bytes \(raise it with --max-bytes\) \[json-too-large\]/,
    );
    write('big.json', `{"x": "${'a'.repeat(1024 * 1024)}"}`);
    expect((await run(['nodespec', 'validate', 'big.json'])).out).toContain('[json-too-large]');
  });

  it('reports schema errors at the offending value', async () => {
    write('a.json', validSpec().replace('"tier": 6', '"tier": 9'));
    const { code, out } = await run(['nodespec', 'validate', 'a.json']);
    expect(code).toBe(1);
    const line =
      validSpec()
        .split('\n')
        .findIndex((l) => l.includes('"tier": 6')) + 1;
    expect(out).toContain(
      `a.json:${line}:13: error: \`identity.tier\` is 9; must be an integer from 0 to 7 [nodespec-schema]`,
    );
  });

  it('validates every *.json in a directory and ignores other files', async () => {
    write('a.json', validSpec());
    write('b.json', '{}');
    write('notes.txt', 'not json');
    const { code, out } = await run(['nodespec', 'validate', '.']);
    expect(code).toBe(1);
    expect(out).toContain('a.json: ok');
    expect(out).toContain(
      'b.json:1:1: error: the document is missing the required field `node_type`',
    );
    expect(out).toContain('2 files checked: 1 valid, 1 invalid');
  });

  it('expands a quoted glob itself', async () => {
    write('x1.json', validSpec());
    write('x2.json', validSpec());
    const { code, out } = await run(['nodespec', 'validate', 'x*.json']);
    expect(code).toBe(0);
    expect(out).toContain('2 files checked');
  });

  it('exits 2, never a silent pass, when a path or pattern matches nothing', async () => {
    write('a.json', validSpec());
    for (const args of [['missing.json'], ['nope-*.json'], ['a.json', 'missing.json']]) {
      const { code, err } = await run(['nodespec', 'validate', ...args]);
      expect(code).toBe(2);
      expect(err).toMatch(
        /matriz: error: (missing\.json: no such file or directory|nope-\*\.json: pattern matches no files)/,
      );
    }
  });

  it('exits 2 for a directory without JSON files', async () => {
    const { code, err } = await run(['nodespec', 'validate', '.']);
    expect(code).toBe(2);
    expect(err).toContain('directory contains no *.json files');
  });

  it('exits 2 on usage errors', async () => {
    expect((await run(['nodespec', 'validate'])).code).toBe(2);
    expect((await run(['nodespec', 'validate', '--format', 'xml', 'a.json'])).code).toBe(2);
    expect((await run(['nodespec', 'validate', '--max-bytes', '-5', 'a.json'])).code).toBe(2);
    expect((await run(['nodespec', 'frobnicate'])).code).toBe(2);
  });

  it('reads standard input for -', async () => {
    const { code, out } = await run(['nodespec', 'validate', '-'], '{"node_type": 1}');
    expect(code).toBe(1);
    expect(out).toContain('<stdin>:1:15: error: `node_type` is the integer 1; must be a string');
  });

  it('prints a machine-readable report with --format json', async () => {
    write('a.json', validSpec());
    write('b.json', '{"node_type": "a.b"');
    const { code, out } = await run([
      'nodespec',
      'validate',
      '--format',
      'json',
      'a.json',
      'b.json',
    ]);
    expect(code).toBe(1);
    const report = JSON.parse(out) as Record<string, any>;
    expect(report.ok).toBe(false);
    expect(report.summary).toStrictEqual({
      files: 2,
      valid: 1,
      invalid: 1,
      errors: 1,
      warnings: 0,
    });
    expect(report.files[1]).toStrictEqual({
      file: 'b.json',
      valid: false,
      findings: [
        {
          rule_id: 'json-syntax',
          severity: 'error',
          message: "unexpected end of input: expected ',' or '}' in the object",
          pointer: '',
          line: 1,
          column: 20,
        },
      ],
    });
  });

  it('prints SARIF 2.1.0 with one result per finding and the rule catalogue', async () => {
    write(
      'a.json',
      validSpec().replace('"tier": 6', '"tier": 9').replace('"lane": "core"', '"lane": "edge"'),
    );
    const { code, out } = await run(['nodespec', 'validate', '--format', 'sarif', 'a.json']);
    expect(code).toBe(1);
    const log = JSON.parse(out) as Log;
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    const [sarifRun] = log.runs;
    const rules = sarifRun?.tool.driver.rules ?? [];
    expect(rules.map((r) => r.id)).toEqual(
      expect.arrayContaining(['json-syntax', 'nodespec-schema', 'NS001', 'NS015']),
    );
    expect(sarifRun?.results).toHaveLength(2);
    for (const result of sarifRun?.results ?? []) {
      expect(rules[result.ruleIndex ?? -1]?.id).toBe(result.ruleId);
      expect(result.level).toBe('error');
      const location = result.locations?.[0]?.physicalLocation;
      expect(location?.artifactLocation?.uri).toBe('a.json');
      expect(location?.region?.startLine).toBeGreaterThan(1);
      expect(location?.region?.startColumn).toBeGreaterThan(1);
    }
  });
});

describe('matriz nodespec lint', () => {
  it('passes the reference examples with warnings, and --strict makes warnings fail', async () => {
    copyFileSync(path.join(EXAMPLES_DIR, 'memory_adapter.json'), path.join(dir, 'm.json'));
    const relaxed = await run(['nodespec', 'lint', 'm.json']);
    expect(relaxed.code).toBe(0);
    expect(relaxed.out).toMatch(/m\.json:\d+:\d+: warning: .*\[NS008\]/);
    expect(relaxed.out).toContain('m.json: ok (2 warnings)');
    const strict = await run(['nodespec', 'lint', '--strict', 'm.json']);
    expect(strict.code).toBe(1);
  });

  it('exits 1 on a rule error and places it at the value', async () => {
    write('a.json', validSpec().replace('"p99": 9', '"p99": 3'));
    const { code, out } = await run(['nodespec', 'lint', 'a.json']);
    expect(code).toBe(1);
    expect(out).toMatch(
      /a\.json:\d+:14: error: `contracts\.performance_hints\.p99` is 3, below p95 \(4\).*\[NS002\]/,
    );
  });

  it('places an unknown-field warning on the member name', async () => {
    write('a.json', validSpec().replace('"roles": [', '"rolez": 1,\n    "roles": ['));
    const { out } = await run(['nodespec', 'lint', 'a.json']);
    expect(out).toMatch(
      /a\.json:\d+:5: warning: `identity\.rolez` is not a NodeSpec v1 field; did you mean `roles`\? \[NS015\]/,
    );
  });

  it('lints the bundled examples without errors', async () => {
    const io = captureIo({ cwd: REPO });
    expect(await main(['nodespec', 'lint', 'examples/'], io)).toBe(0);
  });
});

describe('matriz nodespec fmt', () => {
  it('--check lists files not in canonical form and exits 1 without touching them', async () => {
    write('a.json', '{"b": 1, "a": [1,2]}');
    write('b.json', '{\n  "a": 1\n}\n');
    const before = readFileSync(path.join(dir, 'a.json'), 'utf8');
    const { code, out, err } = await run(['nodespec', 'fmt', '--check', 'a.json', 'b.json']);
    expect(code).toBe(1);
    expect(out).toBe('a.json: not in canonical form\n');
    expect(err).toContain('1 of 2 files not in canonical form');
    expect(readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe(before);
  });

  it('rewrites files in canonical form, keeping their mode and leaving no temporary file', async () => {
    write('a.json', '\ufeff{"b": 1.50, "a": {"d": [], "c": "\\u00e9"}}\r\n');
    chmodSync(path.join(dir, 'a.json'), 0o640);
    const { code, out } = await run(['nodespec', 'fmt', 'a.json']);
    expect(code).toBe(0);
    expect(out).toBe('a.json: formatted\n');
    expect(readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe(
      '{\n  "a": {\n    "c": "é",\n    "d": []\n  },\n  "b": 1.5\n}\n',
    );
    expect(statSync(path.join(dir, 'a.json')).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toStrictEqual(['a.json']);
    expect((await run(['nodespec', 'fmt', '--check', 'a.json'])).code).toBe(0);
  });

  it('treats a byte order mark as not canonical', async () => {
    write('a.json', '\ufeff{\n  "a": 1\n}\n');
    expect((await run(['nodespec', 'fmt', '--check', 'a.json'])).code).toBe(1);
  });

  it('refuses a file that is not JSON, and leaves it unchanged', async () => {
    write('a.json', '{"a": 1,}');
    const { code, err } = await run(['nodespec', 'fmt', 'a.json']);
    expect(code).toBe(2);
    expect(err).toContain(
      'a.json:1:9: unexpected character "}": expected a member name in double quotes; cannot format a file that is not valid JSON',
    );
    expect(readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe('{"a": 1,}');
  });

  it('refuses to change the value of an integer a double cannot hold', async () => {
    write('a.json', '{"id": 123456789012345678901}');
    const { code, err } = await run(['nodespec', 'fmt', 'a.json']);
    expect(code).toBe(2);
    expect(err).toContain(
      'a.json:1:8: `id` is an integer that an IEEE 754 double cannot hold exactly',
    );
    expect(readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe('{"id": 123456789012345678901}');
  });

  it('prints the canonical form of standard input', async () => {
    const { code, out } = await run(['nodespec', 'fmt', '-'], '{"b":true,"a":null}');
    expect(code).toBe(0);
    expect(out).toBe('{\n  "a": null,\n  "b": true\n}\n');
  });

  it('keeps the published schema in canonical form', async () => {
    const io = captureIo({ cwd: REPO });
    expect(await main(['nodespec', 'fmt', '--check', 'schemas/nodespec.v1.schema.json'], io)).toBe(
      0,
    );
  });
});

describe('the matriz binary', () => {
  const exec = promisify(execFile);
  it('runs as a real process with the documented exit codes', async () => {
    const bin = path.join(REPO, 'bin/matriz.js');
    const ok = await exec(process.execPath, [bin, 'nodespec', 'validate', path.join(EXAMPLES_DIR)]);
    expect(ok.stdout).toContain('6 files checked: 6 valid');
    write('bad.json', '{');
    await expect(
      exec(process.execPath, [bin, 'nodespec', 'validate', path.join(dir, 'bad.json')]),
    ).rejects.toMatchObject({ code: 1 });
    await expect(
      exec(process.execPath, [bin, 'nodespec', 'validate', path.join(dir, 'none.json')]),
    ).rejects.toMatchObject({ code: 2 });
    const version = await exec(process.execPath, [bin, '--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
