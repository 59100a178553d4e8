/**
 * Remembers the last file analyses of a session (one policy), so walking a history parses each
 * version once: the new version of a file in one commit is the old version in the next.
 * Least-recently-used eviction keeps memory bounded.
 */
import type { FileAnalysis } from './file-analysis.js';

export class AnalysisCache {
  private readonly entries = new Map<string, FileAnalysis>();

  constructor(private readonly capacity = 256) {}

  /** The analysis of `text` at `path`, computing it with `analyze` when it is not remembered. */
  analysis(path: string, text: string, analyze: (text: string) => FileAnalysis): FileAnalysis {
    const key = `${path}\u0000${text}`;
    const known = this.entries.get(key);
    if (known !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, known);
      return known;
    }
    const fresh = analyze(text);
    this.entries.set(key, fresh);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return fresh;
  }
}
