/**
 * Many byte strings in one binary query parameter. node-postgres sends a Buffer parameter as is
 * (binary format) but an array of Buffers as a text array literal, each element hex-escaped:
 * twice the bytes, escaped on the way out and parsed again by the server. For a batch of log
 * leaves (several KB each: envelopes with ML-DSA signatures) that cost more than the insert.
 * Packed, the values travel as one Buffer plus their offsets, and SQL cuts them out again:
 *
 *   FROM unnest($starts::integer[], $lengths::integer[]) WITH ORDINALITY AS p(start, len, n)
 *   ... substring($bytes::bytea FROM p.start FOR p.len)          -- convert_from(..., 'UTF8') for text
 */

export interface Packed {
  /** The values one after another. */
  readonly bytes: Buffer;
  /** Where each value starts in `bytes`, 1-based as SQL's `substring` counts. */
  readonly starts: number[];
  readonly lengths: number[];
}

/** Packs `values` (strings as UTF-8) for one query. */
export function pack(values: readonly (Uint8Array | string)[]): Packed {
  const buffers = values.map((value) =>
    typeof value === 'string'
      ? Buffer.from(value, 'utf8')
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  );
  const starts: number[] = [];
  let offset = 1;
  for (const buffer of buffers) {
    starts.push(offset);
    offset += buffer.length;
  }
  return { bytes: Buffer.concat(buffers), starts, lengths: buffers.map((b) => b.length) };
}
