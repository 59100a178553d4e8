import { describe, expect, it } from 'vitest';
import { codeOwnersCoverage, ownersOf, parseCodeOwners } from '../../src/github/codeowners.js';

const owners = (text: string, file: string): readonly string[] =>
  ownersOf(parseCodeOwners(text), file).owners;

describe('CODEOWNERS matching', () => {
  it('lets the last matching line win', () => {
    const text = '* @all\n/src/ @src\n/src/crypto/ @crypto\n';
    expect(owners(text, 'README.md')).toEqual(['@all']);
    expect(owners(text, 'src/cli/main.ts')).toEqual(['@src']);
    expect(owners(text, 'src/crypto/sign.ts')).toEqual(['@crypto']);
  });

  it('matches an unanchored name at any depth and an anchored path only from the root', () => {
    expect(owners('crypto/ @c\n', 'src/crypto/a.ts')).toEqual(['@c']);
    expect(owners('/crypto/ @c\n', 'src/crypto/a.ts')).toEqual([]);
    expect(owners('src/crypto @c\n', 'lib/src/crypto/a.ts')).toEqual([]);
    expect(owners('*.ts @ts\n', 'deep/er/a.ts')).toEqual(['@ts']);
  });

  it('keeps a single * within one directory and lets ** cross directories', () => {
    expect(owners('docs/* @d\n', 'docs/a.md')).toEqual(['@d']);
    expect(owners('docs/* @d\n', 'docs/deep/a.md')).toEqual([]);
    expect(owners('docs/** @d\n', 'docs/deep/a.md')).toEqual(['@d']);
  });

  it('ignores comments and blank lines, and honours an escaped #', () => {
    const rules = parseCodeOwners('# owners\n\n\\#notes @n # trailing comment\n');
    expect(rules.map((r) => [r.pattern, r.owners, r.line])).toEqual([['\\#notes', ['@n'], 3]]);
    expect(ownersOf(rules, '#notes').owners).toEqual(['@n']);
  });

  it('treats a pattern without owners as removing ownership', () => {
    const rules = parseCodeOwners('* @all\n/vendor/\n');
    expect(ownersOf(rules, 'vendor/x.js')).toMatchObject({ owners: [], rule: { line: 2 } });
  });
});

describe('CODEOWNERS coverage of security-sensitive paths', () => {
  it('reports each unowned file, the line that unowned it, and a pattern that matches nothing', () => {
    const rules = parseCodeOwners('/src/crypto/ @crypto\n/src/crypto/vendor/\n');
    const problems = codeOwnersCoverage(
      rules,
      new Map([
        ['src/crypto/**', ['src/crypto/sign.ts', 'src/crypto/vendor/x.ts']],
        ['src/trust/**', ['src/trust/root.ts']],
        ['src/registry/**', []],
      ]),
    );
    expect(problems.map((p) => p.message)).toEqual([
      'src/crypto/vendor/x.ts (security-sensitive: src/crypto/**) is left without owners by CODEOWNERS line 2 ("/src/crypto/vendor/" names no owner)',
      'src/trust/root.ts (security-sensitive: src/trust/**) has no code owner: add a CODEOWNERS line that covers it',
      'security-sensitive path src/registry/** matches no file in the repository: fix the pattern in the protection config',
    ]);
  });
});
