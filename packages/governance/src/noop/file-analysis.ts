/** The result of reading one version of a file in its language: its keys, or why it could not be read. */
import type { CommentKeys } from './comment-text.js';
import type { EqualityKey } from './equality-key.js';

export interface AnalyzedFile {
  readonly ok: true;
  /** Everything a program can observe (tokens, tree, values). */
  readonly code: EqualityKey;
  readonly comments: CommentKeys;
}

export interface UnreadableFile {
  readonly ok: false;
  /** What the parser refused, for the reason's detail. */
  readonly message: string;
  readonly offset?: number;
}

export type FileAnalysis = AnalyzedFile | UnreadableFile;

export const NO_COMMENTS: CommentKeys = {
  words: { atoms: [], offsets: [] },
  semantic: { atoms: [], offsets: [] },
};
