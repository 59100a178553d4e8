/**
 * What a comment contributes to a file's equality key. People read comments and doc comments
 * reach generated documentation, so by default the *words* of every comment count: whitespace,
 * re-wrapping, re-indenting, the comment markers themselves and moving a comment without changing
 * the order of words are not substance. Semantic comments (pragmas that change builds, type
 * checks, lint, coverage, decoding or execution) count exactly, anchored to the code they follow.
 */
import { EqualityKeyBuilder, type EqualityKey } from './equality-key.js';

export type CommentSyntax = 'line' | 'block' | 'hash';

export interface SourceComment {
  /** The comment with its markers (`// x`, `/* x *\/`, `# x`). */
  readonly text: string;
  readonly syntax: CommentSyntax;
  readonly offset: number;
  /** The code token the comment applies to (the next one; the previous one on the same line for hash comments). */
  readonly anchor: string;
}

export interface CommentKeys {
  readonly words: EqualityKey;
  readonly semantic: EqualityKey;
}

export interface CommentPolicy {
  /** Patterns that make a comment semantic: compared exactly whatever the policy says of comment words. */
  readonly semanticComments: readonly RegExp[];
}

export function isSemanticComment(text: string, policy: CommentPolicy): boolean {
  return policy.semanticComments.some((pattern) => pattern.test(text));
}

/** Splits a comment into its words, without markers and with whitespace collapsed. */
export function commentWords(comment: SourceComment): string[] {
  let body: string;
  switch (comment.syntax) {
    case 'line':
      body = comment.text.replace(/^\/\//, '');
      break;
    case 'hash':
      body = comment.text.replace(/^#/, '');
      break;
    case 'block':
      body = comment.text
        .replace(/^\/\*\*?/, '')
        .replace(/\*\/$/, '')
        .split(/\r\n|\r|\n/)
        .map((line) => line.replace(/^\s*\*(?!\/)/, ''))
        .join('\n');
      break;
  }
  return body.split(/[ \t\n\r\f\v]+/).filter((word) => word.length > 0);
}

function isDocComment(comment: SourceComment): boolean {
  return comment.syntax === 'block' && /^\/\*\*(?!\/)/.test(comment.text);
}

/** The comment part of a file's key, for comments in source order. */
export function commentKeys(
  comments: readonly SourceComment[],
  policy: CommentPolicy,
): CommentKeys {
  const words = new EqualityKeyBuilder();
  const semantic = new EqualityKeyBuilder();
  for (const comment of comments) {
    if (isSemanticComment(comment.text, policy)) {
      const exact = comment.text.replace(/[ \t\n\r\f\v]+/g, ' ').trim();
      semantic.push(
        `semantic-comment ${JSON.stringify(exact)} before ${JSON.stringify(comment.anchor)}`,
        comment.offset,
      );
      continue;
    }
    const doc = isDocComment(comment);
    if (doc) words.push('doc-comment{', comment.offset);
    for (const word of commentWords(comment)) words.push(`word ${word}`, comment.offset);
    if (doc) words.push('}doc-comment', comment.offset);
  }
  return { words: words.build(), semantic: semantic.build() };
}
