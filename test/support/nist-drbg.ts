/**
 * The AES-256 CTR_DRBG (no derivation function) of NIST's PQC KAT harness `rng.c`: round-3
 * known-answer files give its 48-byte seed, and the implementation's `randombytes` calls are
 * served from it in order.
 */
import { createCipheriv } from 'node:crypto';

export class NistKatDrbg {
  private key = new Uint8Array(32);
  private v = new Uint8Array(16);

  constructor(seed: Uint8Array) {
    if (seed.length !== 48) throw new Error('KAT DRBG seed must be 48 bytes');
    this.update(seed);
  }

  /** `randombytes(x, length)` of rng.c. */
  randomBytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 16) {
      this.incrementV();
      out.set(this.block().subarray(0, Math.min(16, length - offset)), offset);
    }
    this.update(undefined);
    return out;
  }

  private update(provided: Uint8Array | undefined): void {
    const temp = new Uint8Array(48);
    for (let i = 0; i < 3; i++) {
      this.incrementV();
      temp.set(this.block(), 16 * i);
    }
    if (provided) for (let i = 0; i < 48; i++) temp[i] = (temp[i] ?? 0) ^ (provided[i] ?? 0);
    this.key = temp.slice(0, 32);
    this.v = temp.slice(32, 48);
  }

  private incrementV(): void {
    for (let j = 15; j >= 0; j--) {
      const next = ((this.v[j] ?? 0) + 1) & 0xff;
      this.v[j] = next;
      if (next !== 0) break;
    }
  }

  private block(): Uint8Array {
    const cipher = createCipheriv('aes-256-ecb', this.key, null);
    cipher.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([cipher.update(this.v), cipher.final()]));
  }
}
