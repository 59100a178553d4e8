/**
 * The log's side of C2SP tlog-witness: after each new checkpoint, ask every witness of the
 * policy to cosign it (`POST <url>/add-checkpoint` with a consistency proof from the size that
 * witness last cosigned), and publish the checkpoint with the cosignature lines it got
 * (`/checkpoint`, `/api/v1/log/checkpoint`). Rounds run one at a time, off the write path; a
 * checkpoint signed while a round runs is cosigned by the next one (only the newest matters).
 *
 * What each witness last cosigned is learnt from its answers: a 409 says its size, and the
 * request is sent again with a proof from there. A cosignature line is kept only if it verifies
 * under the witness key of the policy.
 */
import { cosignedAt, type WitnessPolicy, type WitnessSuites } from '../log/cosignature.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { formatSignatureLine, parseNote, type NoteSignature } from '../log/note.js';
import type { Registry } from '../registry/registry.js';

export interface WitnessCosignerOptions {
  readonly policy: WitnessPolicy;
  readonly registry: Registry;
  /** Verifiers of the witnesses' cosignatures (each line is checked before it is kept). */
  readonly suites: WitnessSuites;
  /** Each witness request must be answered within this. Default 5 s. */
  readonly timeoutMs?: number;
  /** Called with each witness that did not cosign a round, and why. */
  readonly onFailure?: (witness: string, reason: string) => void;
  /** Called with each round's result: the checkpoint size and the witnesses that cosigned. */
  readonly onRound?: (size: number, cosigned: readonly string[]) => void;
  /** Called with each round's published note (the checkpoint and its cosignature lines). */
  readonly onPublished?: (note: string, size: number) => void;
}

export class WitnessCosigner {
  private publishedNote: string | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** What each witness (by vkey) last cosigned, as far as this log knows. */
  private readonly known = new Map<string, number>();

  constructor(private readonly options: WitnessCosignerOptions) {}

  /** The latest checkpoint through a round of cosigning, with its cosignature lines. */
  readonly published = (): string | undefined => this.publishedNote;

  /** Starts a round for the latest checkpoint (or one more after the running one). */
  poke(): void {
    if (this.closed) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error: unknown) => {
        this.options.onFailure?.('*', error instanceof Error ? error.message : String(error));
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Waits for the running round (and the one queued after it). */
  async settled(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
  }

  private async round(): Promise<void> {
    const { registry, policy } = this.options;
    // The stored checkpoint itself, not the published one.
    const latest = await registry.storedCheckpoint();
    const note = parseNote(latest);
    const checkpoint = parseCheckpoint(note.text);
    const answers = await Promise.all(
      policy.witnesses.map((witness) => this.ask(witness, latest, checkpoint.size)),
    );
    const cosigned: string[] = [];
    const lines: NoteSignature[] = [];
    answers.forEach((answer, i) => {
      const witness = policy.witnesses[i];
      if (witness === undefined) return;
      if ('failure' in answer) this.options.onFailure?.(witness.name, answer.failure);
      else {
        lines.push(answer);
        cosigned.push(witness.name);
      }
    });
    this.publishedNote = latest + lines.map(formatSignatureLine).join('');
    this.options.onPublished?.(this.publishedNote, checkpoint.size);
    this.options.onRound?.(checkpoint.size, cosigned);
  }

  /** One witness's cosignature line for `note`, or why it gave none. */
  private async ask(
    witness: WitnessPolicy['witnesses'][number],
    note: string,
    size: number,
  ): Promise<NoteSignature | { failure: string }> {
    if (witness.url === undefined) return { failure: 'the witness policy gives no url for it' };
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = Math.min(this.known.get(witness.vkey) ?? 0, size);
      const proof =
        old === 0 || old === size
          ? []
          : (await this.options.registry.consistencyProof(old, size)).hashes;
      let response: Response;
      try {
        response = await fetch(`${witness.url.replace(/\/+$/, '')}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: `old ${old}\n${proof.map((hash) => `${hash}\n`).join('')}\n${note}`,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
      } catch (error) {
        return { failure: `unreachable: ${(error as Error).message}` };
      }
      const body = await response.text().catch(() => '');
      if (response.status === 409) {
        const theirs = Number(body.trim());
        if (!Number.isSafeInteger(theirs) || theirs < 0)
          return { failure: `409 without a size: ${JSON.stringify(body.slice(0, 80))}` };
        if (theirs === old)
          return {
            failure: `it has cosigned another tree of size ${theirs}: this log's history is not the one it saw`,
          };
        if (theirs > size)
          return {
            failure: `it has cosigned a larger tree (size ${theirs}) than this checkpoint's ${size}`,
          };
        this.known.set(witness.vkey, theirs);
        continue;
      }
      if (response.status !== 200)
        return { failure: `${response.status}: ${body.trim().slice(0, 200)}` };
      try {
        const cosigned = parseNote(`${note}${body}`);
        const line = cosigned.signatures.find(
          (s) => s.name === witness.name && s.keyId === witness.keyId,
        );
        if (line === undefined || cosignedAt(cosigned, witness, this.options.suites) === undefined)
          return { failure: 'its answer holds no cosignature line of its key' };
        this.known.set(witness.vkey, size);
        return line;
      } catch (error) {
        return { failure: `its cosignature does not verify: ${(error as Error).message}` };
      }
    }
    return { failure: 'it answered 409 twice' };
  }
}
