/**
 * One query page read from the entry index (entry-documents.ts), shared by both stores. Each
 * filter is a set of index terms (an entry matches it when it is listed under any of them), and
 * every term is a range of one index in registry id order, so:
 *
 * - one filter: the page is the first `limit` ids after the cursor in the union of its ranges
 *   (a seek per term), then one stored answer per id: no scan, no parse, no serialization;
 * - several filters: the filter with the fewest entries after the cursor (counted up to the
 *   scan bound) drives, and each of its ids is probed in the others' indexes. The ids examined
 *   per request are bounded by `scanLimit` (issue 13); a page cut short by the bound carries the
 *   cursor to go on from.
 */
import { LRUCache } from 'lru-cache';

export type EntryPageView = 'full' | 'summary';

export interface EntryPageQuery {
  /** Every filter must match; a filter matches an entry listed under any one of its terms. */
  readonly filters: readonly (readonly string[])[];
  readonly view: EntryPageView;
  /** Entries whose registry id sorts after this one. */
  readonly after?: string;
  readonly limit: number;
  /** Candidate ids examined at most. */
  readonly scanLimit: number;
  /** UTF-8 bytes of answers one page carries at most (a page always has at least one entry). */
  readonly maxBytes: number;
}

export interface EntryPageRow {
  readonly registryId: string;
  readonly ownerId: string;
  /** The stored answer (entry or summary JSON), without `owner_revoked_at`. */
  readonly json: string;
}

export interface EntryPage {
  readonly rows: readonly EntryPageRow[];
  /** The id to continue after, or null when no more entries match. */
  readonly next: string | null;
  /** Candidate ids examined (at most `scanLimit`). */
  readonly examined: number;
}

/**
 * An entry listed in the index, with its revision: the log size after the append that last wrote
 * the entry. Every write of an entry gives it a new revision, so (id, revision) names one answer.
 */
export interface EntryRef {
  readonly registryId: string;
  readonly revision: number;
}

export interface StoredAnswer extends EntryPageRow {
  readonly revision: number;
}

/** An answer with its UTF-8 length, measured once when it is read from the store. */
export interface MeasuredAnswer extends StoredAnswer {
  readonly bytes: number;
}

/** What a store provides for `readEntryPage`: reads of its entry index and stored answers. */
export interface EntryIndex {
  /** The first `count` entries after `after`, ascending and distinct, listed under any of `terms`. */
  ids(terms: readonly string[], after: string, count: number): Promise<EntryRef[]>;
  /** How many ids after `after` are listed under each of `terms`, summed, counted up to `cap`. */
  count(terms: readonly string[], after: string, cap: number): Promise<number>;
  /** Which of `ids` are listed under any of `terms`. */
  listed(ids: readonly string[], terms: readonly string[]): Promise<Set<string>>;
  /** The stored answers of those of `ids` that are active, in any order. */
  documents(ids: readonly string[], view: EntryPageView): Promise<StoredAnswer[]>;
}

/**
 * Stored answers kept in memory, by view, registry id and revision, least recently used first
 * out, within a budget of string length (lru-cache). A revision names one answer, so a cached
 * answer is never stale: an entry written again (by this process or another replica) has a new
 * revision in the index, and its old answer is simply not asked for again.
 */
export class AnswerCache {
  private readonly answers: LRUCache<string, MeasuredAnswer> | undefined;
  hits = 0;
  misses = 0;

  constructor(budget: number) {
    this.answers =
      budget > 0
        ? new LRUCache({ maxSize: budget, sizeCalculation: (answer) => answer.json.length || 1 })
        : undefined;
  }

  get(view: EntryPageView, ref: EntryRef): MeasuredAnswer | undefined {
    const answer = this.answers?.get(`${view}\n${ref.registryId}`);
    if (answer === undefined || answer.revision !== ref.revision) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return answer;
  }

  set(view: EntryPageView, answer: MeasuredAnswer): void {
    // An answer larger than the whole budget is not kept (lru-cache refuses it).
    this.answers?.set(`${view}\n${answer.registryId}`, answer);
  }
}

/** Step of candidate ids read at a time when several filters must match. */
const CANDIDATE_STEP = 200;
/** Answers read at a time while the page's byte budget is filled. */
const DOCUMENT_STEP = 64;

export async function readEntryPage(
  index: EntryIndex,
  query: EntryPageQuery,
  cache?: AnswerCache,
): Promise<EntryPage> {
  const { filters, limit, scanLimit } = query;
  if (filters.length === 0) throw new Error('readEntryPage needs at least one filter');
  if (filters.some((terms) => terms.length === 0)) return { rows: [], next: null, examined: 0 };
  const start = query.after ?? '';
  let driver = 0;
  if (filters.length > 1) {
    const counts = await Promise.all(
      filters.map((terms) => index.count(terms, start, scanLimit + 1)),
    );
    counts.forEach((count, i) => {
      if (count < (counts[driver] ?? Infinity)) driver = i;
    });
  }
  const driverTerms = filters[driver] ?? [];
  const others = filters.filter((_, i) => i !== driver);
  const step = others.length === 0 ? limit + 1 : Math.max(limit + 1, CANDIDATE_STEP);

  const found: EntryRef[] = [];
  let examined = 0;
  let after = start;
  let next: string | null = null;
  scan: for (;;) {
    const wanted = Math.min(step, scanLimit - examined);
    const candidates = await index.ids(driverTerms, after, wanted);
    let matching = candidates.map((ref) => ref.registryId);
    for (const terms of others) {
      if (matching.length === 0) break;
      const listed = await index.listed(matching, terms);
      matching = matching.filter((id) => listed.has(id));
    }
    const matches = new Set(matching);
    for (const ref of candidates) {
      examined++;
      if (matches.has(ref.registryId)) {
        if (found.length === limit) {
          next = found[found.length - 1]?.registryId ?? null;
          break scan;
        }
        found.push(ref);
      }
      if (examined >= scanLimit) {
        next = ref.registryId;
        break scan;
      }
    }
    const last = candidates[candidates.length - 1];
    if (last === undefined || candidates.length < wanted) break;
    after = last.registryId;
  }

  const rows: EntryPageRow[] = [];
  let bytes = 0;
  for (let i = 0; i < found.length; i += DOCUMENT_STEP) {
    for (const row of await answers(index, found.slice(i, i + DOCUMENT_STEP), query.view, cache)) {
      if (rows.length > 0 && bytes + row.bytes > query.maxBytes) {
        return { rows, next: rows[rows.length - 1]?.registryId ?? null, examined };
      }
      rows.push(row);
      bytes += row.bytes;
    }
  }
  return { rows, next, examined };
}

/** The answers of `refs` in order, from the cache where it has their revision, else the store. */
async function answers(
  index: EntryIndex,
  refs: readonly EntryRef[],
  view: EntryPageView,
  cache: AnswerCache | undefined,
): Promise<MeasuredAnswer[]> {
  const cached = refs.map((ref) => cache?.get(view, ref));
  const missing = refs.filter((_, i) => cached[i] === undefined).map((ref) => ref.registryId);
  if (missing.length === 0) return cached as MeasuredAnswer[];
  const read = new Map(
    (await index.documents(missing, view)).map((answer) => [
      answer.registryId,
      { ...answer, bytes: Buffer.byteLength(answer.json) },
    ]),
  );
  const result: MeasuredAnswer[] = [];
  refs.forEach((ref, i) => {
    const answer = cached[i] ?? read.get(ref.registryId);
    // An entry deregistered since its id was read has no answer: the page goes on without it.
    if (answer === undefined) return;
    if (cached[i] === undefined) cache?.set(view, answer);
    result.push(answer);
  });
  return result;
}

/** Merges ascending lists of entries into the first `count` distinct ones, ascending (byte order). */
export function mergeRefs(lists: readonly (readonly EntryRef[])[], count: number): EntryRef[] {
  const nonEmpty = lists.filter((list) => list.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return (nonEmpty[0] ?? []).slice(0, count);
  const byId = new Map(nonEmpty.flat().map((ref) => [ref.registryId, ref]));
  return [...byId.values()]
    .sort((a, b) => compareBytes(a.registryId, b.registryId))
    .slice(0, count);
}

/** Byte order of UTF-8 strings, as SQLite's BINARY collation and PostgreSQL's "C" compare. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
