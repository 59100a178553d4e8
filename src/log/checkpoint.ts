/**
 * Checkpoints, C2SP tlog-checkpoint v1: the note text that commits to a log's state.
 *
 *     <origin>\n
 *     <tree size, decimal, no leading zeros>\n
 *     <root hash, standard base64>\n
 *     [extension lines, each non-empty]\n
 */
import { base64Decode, base64Encode } from '../crypto/encoding.js';
import { HASH_SIZE } from './hash.js';

export interface Checkpoint {
  /** The log's unique identity, a schema-less URL such as `registry.example/matriz`. */
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
}

/** Why a checkpoint was refused; stable, for programs and tests. */
export type CheckpointErrorCode =
  /** Not a checkpoint (origin, size or root hash line), or its note is not a signed note. */
  | 'malformed'
  /** The checkpoint is for another log origin than expected. */
  | 'wrong-origin'
  /** Fewer than the threshold of known log keys signed with both lines (Ed25519, ML-DSA-44). */
  | 'missing-signature'
  /** A line from a known log key does not verify. */
  | 'bad-signature'
  /** The threshold would be met only by counting keys revoked before the cosignature timestamp. */
  | 'revoked-key'
  /** Signing refused: no signer, or two signers share a public key. */
  | 'invalid-signer';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly code: CheckpointErrorCode;

  constructor(code: CheckpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Whether `origin` can be a checkpoint origin line and a note key name. */
export function isValidOrigin(origin: string): boolean {
  return origin.length > 0 && origin.length <= 255 && !/[\s+\p{Cc}]/u.test(origin);
}

export function formatCheckpoint(checkpoint: Checkpoint): string {
  if (!isValidOrigin(checkpoint.origin))
    throw new CheckpointError('malformed', `invalid origin ${JSON.stringify(checkpoint.origin)}`);
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0)
    throw new CheckpointError('malformed', `invalid tree size ${checkpoint.size}`);
  if (checkpoint.rootHash.length !== HASH_SIZE)
    throw new CheckpointError('malformed', 'root hash must be 32 bytes');
  for (const line of checkpoint.extensions) {
    if (line === '' || line.includes('\n'))
      throw new CheckpointError('malformed', 'extension lines must be non-empty single lines');
  }
  return [
    checkpoint.origin,
    String(checkpoint.size),
    base64Encode(checkpoint.rootHash),
    ...checkpoint.extensions,
  ]
    .map((line) => `${line}\n`)
    .join('');
}

/** Parses checkpoint note text (without signatures). Throws CheckpointError saying what is wrong. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n'))
    throw new CheckpointError('malformed', 'checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3)
    throw new CheckpointError(
      'malformed',
      'checkpoint needs an origin, a size and a root hash line',
    );
  const [origin = '', sizeText = '', hashText = '', ...extensions] = lines;
  if (!isValidOrigin(origin))
    throw new CheckpointError('malformed', `invalid origin line ${JSON.stringify(origin)}`);
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new CheckpointError('malformed', `invalid tree size line ${JSON.stringify(sizeText)}`);
  }
  let rootHash: Uint8Array;
  try {
    rootHash = base64Decode(hashText, 'root hash');
  } catch {
    throw new CheckpointError('malformed', `invalid root hash line ${JSON.stringify(hashText)}`);
  }
  if (rootHash.length !== HASH_SIZE)
    throw new CheckpointError('malformed', `root hash is ${rootHash.length} bytes; must be 32`);
  if (extensions.some((line) => line === ''))
    throw new CheckpointError('malformed', 'extension lines must not be empty');
  return { origin, size: Number(sizeText), rootHash, extensions };
}
