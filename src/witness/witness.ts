/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness): for each log it knows (by origin, with
 * the log's keys), it remembers the latest checkpoint it cosigned, and cosigns a new one only
 * when the log signed it and it is consistent with that one (an RFC 9162 consistency proof from
 * the size the witness remembers). So a log cannot get two inconsistent trees cosigned by the
 * same witness: clients that require cosignatures (log/cosignature.ts, a witness policy) see one
 * history or refuse.
 *
 * `addCheckpoint` is the protocol's `add-checkpoint` call. Its request body is
 *
 *     old <size the log thinks the witness has>
 *     <base64 consistency proof hash, one per line>
 *
 *     <the checkpoint, a signed note>
 *
 * and its answers are the protocol's: 200 with the cosignature line; 409 with the size the
 * witness has (`text/x.tlog.size`) when `old` is not it, or when the checkpoint is another tree
 * of that size; 404 for an unknown log; 403 when the log's signature does not verify; 422 when
 * the proof does not prove consistency; 400 for a malformed request. A validly signed checkpoint
 * refused for inconsistency is kept in `evidence/`: with the cosigned one, it proves a fork. The state of each log is written (atomically) before the cosignature is
 * returned, and calls for one log are serialized.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { base64Decode, base64Encode, equalBytes } from '../crypto/encoding.js';
import type { SignatureSuite } from '../crypto/suite.js';
import { writeFileAtomic } from '../files/atomic-file.js';
import {
  openCheckpoint,
  type CheckpointKeySet,
  type CheckpointVerifier,
} from '../log/checkpoint-signature.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { cosign } from '../log/cosignature.js';
import { formatSignatureLine, parseNote } from '../log/note.js';
import { verifyConsistency } from '../log/proof.js';

export interface WitnessOptions {
  /** The witness's name (its key name in cosignature lines), e.g. `witness.example/w1`. */
  readonly name: string;
  /** Its cosigning key (Ed25519 or ML-DSA-44: log/cosignature.ts) and the key's suite. */
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  readonly suite: SignatureSuite;
  /** The logs it witnesses, by origin, with the keys their checkpoints must be signed by. */
  readonly logs: ReadonlyMap<string, CheckpointVerifier | CheckpointKeySet>;
  /** Where the latest cosigned checkpoint of each log is kept. */
  readonly stateDir: string;
  /** Current time, POSIX milliseconds; default Date.now. */
  readonly clock?: () => number;
}

export interface WitnessAnswer {
  readonly status: 200 | 400 | 403 | 404 | 409 | 422;
  readonly contentType: string;
  readonly body: string;
}

/** What the witness keeps per log: the latest checkpoint it cosigned. */
interface LogState {
  readonly origin: string;
  readonly size: number;
  readonly root: string;
  readonly note: string;
}

/** Most proof lines a request may carry (the protocol's bound). */
const MAX_PROOF_LINES = 63;
const TEXT = 'text/plain; charset=utf-8';

export class Witness {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: WitnessOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** The latest checkpoint this witness cosigned for `origin`, if any. */
  async latest(origin: string): Promise<LogState | undefined> {
    const text = await readFile(this.stateFile(origin), 'utf8').catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    });
    return text === undefined ? undefined : (JSON.parse(text) as LogState);
  }

  async addCheckpoint(body: string): Promise<WitnessAnswer> {
    const request = parseRequest(body);
    if ('error' in request) return answer(400, request.error);
    const { old, proof, note } = request;
    let origin: string;
    try {
      origin = parseCheckpoint(parseNote(note).text).origin;
    } catch (error) {
      return answer(
        400,
        `the checkpoint is not a signed checkpoint note: ${(error as Error).message}`,
      );
    }
    const keys = this.options.logs.get(origin);
    if (keys === undefined) return answer(404, `this witness does not witness the log ${origin}`);
    const opened = openCheckpoint(note, keys, origin);
    if (!opened.ok)
      return answer(403, `the checkpoint is not signed by the log's key: ${opened.message}`);
    const { checkpoint } = opened;
    if (old > checkpoint.size)
      return answer(400, `old size ${old} is larger than the checkpoint's size ${checkpoint.size}`);
    // One call at a time per log: the state read, checked and written as one step.
    const previous = this.queues.get(origin) ?? Promise.resolve();
    const run = previous.then(async (): Promise<WitnessAnswer> => {
      const state = await this.latest(origin);
      const size = state?.size ?? 0;
      if (old !== size) return { status: 409, contentType: 'text/x.tlog.size', body: `${size}\n` };
      if (state !== undefined) {
        const root = base64Decode(state.root, 'witness state');
        // Two different trees of one size: a conflict (409), the protocol says.
        if (checkpoint.size === size && !equalBytes(root, checkpoint.rootHash)) {
          await this.keepEvidence(origin, note);
          return { status: 409, contentType: 'text/x.tlog.size', body: `${size}\n` };
        }
        const consistent =
          checkpoint.size === size
            ? proof.length === 0
            : verifyConsistency(size, checkpoint.size, root, checkpoint.rootHash, proof);
        if (!consistent) {
          await this.keepEvidence(origin, note);
          return answer(
            422,
            `the checkpoint of size ${checkpoint.size} is not consistent with the checkpoint of size ${size} this witness cosigned`,
          );
        }
      } else if (proof.length > 0) {
        return answer(400, 'a checkpoint after old size 0 needs no consistency proof');
      }
      await this.save({
        origin,
        size: checkpoint.size,
        root: base64Encode(checkpoint.rootHash),
        note,
      });
      const timestamp = Math.floor((this.options.clock?.() ?? Date.now()) / 1000);
      const line = cosign(
        parseNote(note).text,
        this.options.name,
        this.options.publicKey,
        timestamp,
        (message) => this.options.suite.sign(message, this.options.secretKey),
      );
      return { status: 200, contentType: TEXT, body: formatSignatureLine(line) };
    });
    this.queues.set(
      origin,
      run.catch(() => undefined),
    );
    return run;
  }

  /**
   * Keeps a validly signed checkpoint that is not consistent with what this witness cosigned:
   * beside the cosigned one in the state, it proves the log showed two histories.
   */
  private async keepEvidence(origin: string, note: string): Promise<void> {
    const dir = path.join(this.options.stateDir, 'evidence');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const id = createHash('sha256').update(note).digest('hex').slice(0, 16);
    const name = `${path.basename(this.stateFile(origin), '.json')}-${id}.txt`;
    await writeFileAtomic(path.join(dir, name), note, 0o600);
  }

  private stateFile(origin: string): string {
    const id = createHash('sha256').update(origin).digest('hex').slice(0, 32);
    return path.join(this.options.stateDir, `${id}.json`);
  }

  private async save(state: LogState): Promise<void> {
    await mkdir(this.options.stateDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.stateFile(state.origin), `${JSON.stringify(state)}\n`, 0o600);
  }
}

function answer(status: WitnessAnswer['status'], message: string): WitnessAnswer {
  return { status, contentType: TEXT, body: `${message}\n` };
}

const OLD = /^old (0|[1-9][0-9]{0,15})$/;

function parseRequest(
  body: string,
): { old: number; proof: Uint8Array[]; note: string } | { error: string } {
  const blank = body.indexOf('\n\n');
  if (blank < 0)
    return {
      error: 'the body must be "old <size>", proof lines, an empty line, then the checkpoint',
    };
  const [first, ...proofLines] = body.slice(0, blank).split('\n');
  const match = OLD.exec(first ?? '');
  if (!match) return { error: `the first line must be "old <size>", got ${JSON.stringify(first)}` };
  if (proofLines.length > MAX_PROOF_LINES)
    return { error: `a consistency proof has at most ${MAX_PROOF_LINES} hashes` };
  const proof: Uint8Array[] = [];
  for (const [i, line] of proofLines.entries()) {
    let hash: Uint8Array;
    try {
      hash = base64Decode(line, 'proof hash');
    } catch {
      hash = new Uint8Array();
    }
    if (hash.length !== 32) return { error: `proof line ${i + 1} is not a base64 SHA-256 hash` };
    proof.push(hash);
  }
  return { old: Number(match[1]), proof, note: body.slice(blank + 2) };
}
