/**
 * An equality key: the flat sequence of everything a reader or a program can observe in a file,
 * with formatting left out. Two versions of a file are equal when their keys are equal. Each atom
 * remembers the offset it came from, so a difference can be reported at a line.
 */
export interface EqualityKey {
  readonly atoms: readonly string[];
  /** Source offset (UTF-16 code units) of each atom, parallel to `atoms`. */
  readonly offsets: readonly number[];
}

export class EqualityKeyBuilder {
  readonly atoms: string[] = [];
  readonly offsets: number[] = [];

  push(atom: string, offset: number): void {
    this.atoms.push(atom);
    this.offsets.push(offset);
  }

  append(other: EqualityKey): void {
    for (let i = 0; i < other.atoms.length; i++)
      this.push(other.atoms[i] ?? '', other.offsets[i] ?? 0);
  }

  build(): EqualityKey {
    return { atoms: this.atoms, offsets: this.offsets };
  }
}

/** Where two keys first differ. */
export interface KeyDifference {
  /** Offset of the first differing atom in the new text (or the old one when the new key ended). */
  readonly offset: number;
  readonly side: 'old' | 'new';
  readonly oldAtom: string | undefined;
  readonly newAtom: string | undefined;
}

/** Returns undefined when the keys are equal, else the first difference. */
export function compareKeys(before: EqualityKey, after: EqualityKey): KeyDifference | undefined {
  const length = Math.max(before.atoms.length, after.atoms.length);
  for (let i = 0; i < length; i++) {
    const oldAtom = before.atoms[i];
    const newAtom = after.atoms[i];
    if (oldAtom === newAtom) continue;
    if (newAtom !== undefined)
      return { offset: after.offsets[i] ?? 0, side: 'new', oldAtom, newAtom };
    return { offset: before.offsets[i] ?? 0, side: 'old', oldAtom, newAtom };
  }
  return undefined;
}

/** 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
