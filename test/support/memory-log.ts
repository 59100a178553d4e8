import { completedSubtrees, leafHash, rangeHash, type LeafRange } from '../../src/log/index.js';

/** An in-memory log that stores subtree hashes exactly as a real store does. */
export class MemoryLog {
  readonly leaves: Uint8Array[] = [];
  private readonly hashes = new Map<string, Uint8Array>();

  append(leaf: Uint8Array): void {
    const index = this.leaves.length;
    this.leaves.push(leaf);
    for (const { level, index: i, hash } of completedSubtrees(index, leafHash(leaf), this.lookup)) {
      this.hashes.set(`${level}/${i}`, hash);
    }
  }

  readonly lookup = (level: number, index: number): Uint8Array => {
    const hash = this.hashes.get(`${level}/${index}`);
    if (!hash) throw new Error(`no stored hash at level ${level}, index ${index}`);
    return hash;
  };

  get storedHashCount(): number {
    return this.hashes.size;
  }

  hash(range: LeafRange): Uint8Array {
    return rangeHash(range, this.lookup);
  }

  root(size = this.leaves.length): Uint8Array {
    return this.hash({ start: 0, end: size });
  }
}
