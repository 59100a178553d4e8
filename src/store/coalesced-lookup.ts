/**
 * Coalesces concurrent `Store.lookUp` calls into one read: while a read runs, the calls that
 * arrive wait and are then answered together by the next one, each from state read after it
 * was made. Under load (a frontend checking 64 requests at once) one query per kind serves many
 * writes; an idle store answers a lone call at once. Used where a read is a network round trip
 * (PostgreSQL).
 */
import type { NodeVersion, RegistryEntry, StateLookup, StateQuery } from './store.js';

/** What one read returns: nonces with their expiry, so each caller judges them at its own `now`. */
export interface StateRead {
  readonly entries: ReadonlyMap<string, RegistryEntry>;
  readonly versions: ReadonlyMap<string, NodeVersion[]>;
  /** Stored nonces among those asked, by nonce: POSIX second they expire. */
  readonly nonceExpiry: ReadonlyMap<string, number>;
}

interface Call {
  readonly query: StateQuery;
  readonly resolve: (lookup: StateLookup) => void;
  readonly reject: (error: unknown) => void;
}

export class CoalescedLookUp {
  private waiting: Call[] = [];
  private reading = false;

  /** `read` answers a query for the union of the waiting calls' keys. */
  constructor(private readonly read: (query: Omit<StateQuery, 'now'>) => Promise<StateRead>) {}

  lookUp(query: StateQuery): Promise<StateLookup> {
    return new Promise<StateLookup>((resolve, reject) => {
      this.waiting.push({ query, resolve, reject });
      if (!this.reading) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.reading = true;
    try {
      while (this.waiting.length > 0) {
        const calls = this.waiting;
        this.waiting = [];
        let state: StateRead;
        try {
          state = await this.read({
            registryIds: [...new Set(calls.flatMap((call) => call.query.registryIds))],
            names: [...new Set(calls.flatMap((call) => call.query.names))],
            nonces: [...new Set(calls.flatMap((call) => call.query.nonces))],
          });
        } catch (error) {
          for (const call of calls) call.reject(error);
          continue;
        }
        for (const call of calls) call.resolve(answer(state, call.query));
      }
    } finally {
      this.reading = false;
    }
  }
}

/** The part of `state` that `query` asked for, nonces judged at its `now`. */
function answer(state: StateRead, query: StateQuery): StateLookup {
  const entries = new Map<string, RegistryEntry>();
  for (const id of query.registryIds) {
    const entry = state.entries.get(id);
    if (entry !== undefined) entries.set(id, entry);
  }
  return {
    entries,
    versions: new Map(query.names.map((name) => [name, state.versions.get(name) ?? []])),
    seenNonces: new Set(
      query.nonces.filter((nonce) => (state.nonceExpiry.get(nonce) ?? -Infinity) > query.now),
    ),
  };
}
