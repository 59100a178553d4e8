/**
 * One query page read from the entry index (entry-documents.ts), shared by both stores. Each
 * filter is a set of index terms (an entry matches it when it is listed under any of them), and
 * every term is a range of one index in registry id order, so:
 *
 * - one filter: the page is the first `limit` ids after the cursor in the union of its ranges
 *   (a seek per term), then one stored answer per id: no scan, no parse, no serialization;
 * - several filters: the sparsest filter after the cursor drives (judged by the first page's
 *   worth of ids of each), and each of its ids is probed in the others' indexes. The ids
 *   examined per request are bounded by `scanLimit` (issue 13); a page cut short by the bound
 *   carries the cursor to go on from.
 *
 * A `prefix` (a node name prefix: it has no '@', and every registry id has one) narrows every
 * filter to one range of ids: those starting with it, which all sort strictly after it. The page
 * starts after the later of the cursor and the prefix and ends, with no cursor to go on from, at
 * the first candidate id that no longer starts with it: a range, not a scan.
 */
export type EntryPageView = 'full' | 'summary';

export interface EntryPageQuery {
  /** Every filter must match; a filter matches an entry listed under any one of its terms. */
  readonly filters: readonly (readonly string[])[];
  readonly view: EntryPageView;
  /** Entries whose registry id sorts after this one. */
  readonly after?: string;
  /** Only entries whose registry id starts with this; it must not contain '@'. */
  readonly prefix?: string;
  readonly limit: number;
  /** Candidate ids examined at most. */
  readonly scanLimit: number;
  /** UTF-8 bytes of answers one page carries at most (a page always has at least one entry). */
  readonly maxBytes: number;
}

export interface EntryPageRow {
  readonly registryId: string;
  readonly ownerId: string;
  /** The stored answer (entry or summary JSON, UTF-8), without `owner_revoked_at`. */
  readonly body: Buffer;
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

/** An answer as a store reads it. */
export interface StoredAnswer {
  readonly registryId: string;
  readonly ownerId: string;
  readonly json: string;
  readonly revision: number;
}

/** An answer as pages are made of it: encoded once, when it is read from the store. */
export interface EncodedAnswer extends EntryPageRow {
  readonly revision: number;
}

/** What a store provides for `readEntryPage`: reads of its entry index and stored answers. */
export interface EntryIndex {
  /** The first `count` entries after `after`, ascending and distinct, listed under any of `terms`. */
  ids(terms: readonly string[], after: string, count: number): Promise<EntryRef[]>;
  /** Which of `ids` are listed under any of `terms`. */
  listed(ids: readonly string[], terms: readonly string[]): Promise<Set<string>>;
  /** The stored answers of those of `ids` that are active, in any order. */
  documents(ids: readonly string[], view: EntryPageView): Promise<StoredAnswer[]>;
}

/**
 * Answers kept in memory, by view, registry id and revision, within a budget of bytes. A
 * revision names one answer, so a cached answer is never stale: an entry written again (by this
 * process or another replica) has a new revision in the index, and its old answer is simply not
 * asked for again. Two generations of maps (the scheme of quick-lru, with a byte budget): answers
 * go into the current one; when it holds half the budget it becomes the previous one, and an
 * answer asked for from there moves back. Each get is one or two map lookups, no reordering.
 */
export class AnswerCache {
  private current = new Map<string, EncodedAnswer>();
  private previous = new Map<string, EncodedAnswer>();
  private currentBytes = 0;
  private previousBytes = 0;
  /** Answers found, and not found, since the cache was made. */
  hits = 0;
  misses = 0;

  constructor(private readonly budget: number) {}

  get(view: EntryPageView, ref: EntryRef): EncodedAnswer | undefined {
    const key = `${view}\n${ref.registryId}`;
    let answer = this.current.get(key);
    if (answer === undefined) {
      answer = this.previous.get(key);
      if (answer !== undefined) {
        this.previous.delete(key);
        this.previousBytes -= answer.body.length;
        if (answer.revision === ref.revision) this.keep(key, answer);
      }
    }
    if (answer === undefined || answer.revision !== ref.revision) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return answer;
  }

  set(view: EntryPageView, answer: EncodedAnswer): void {
    // An answer larger than a generation is not kept.
    if (answer.body.length > this.budget / 2) return;
    this.keep(`${view}\n${answer.registryId}`, answer);
  }

  private keep(key: string, answer: EncodedAnswer): void {
    const old = this.current.get(key);
    if (old !== undefined) this.currentBytes -= old.body.length;
    this.current.set(key, answer);
    this.currentBytes += answer.body.length;
    if (this.currentBytes > this.budget / 2) {
      this.previous = this.current;
      this.previousBytes = this.currentBytes;
      this.current = new Map();
      this.currentBytes = 0;
    }
  }

  /** Bytes of answers held. */
  get bytes(): number {
    return this.currentBytes + this.previousBytes;
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
  const { filters, limit, scanLimit, prefix } = query;
  if (filters.length === 0) throw new Error('readEntryPage needs at least one filter');
  if (prefix?.includes('@')) throw new Error('readEntryPage needs a prefix without @');
  if (filters.some((terms) => terms.length === 0)) return { rows: [], next: null, examined: 0 };
  const cursor = query.after ?? '';
  // Every id starting with the prefix sorts after it: the range starts there, or at the cursor.
  const start = prefix !== undefined && compareBytes(prefix, cursor) > 0 ? prefix : cursor;
  // Ids come ascending: those in the prefix's range, up to the first one past it.
  const inRange = (refs: EntryRef[]): EntryRef[] => {
    if (prefix === undefined) return refs;
    const end = refs.findIndex((ref) => !ref.registryId.startsWith(prefix));
    return end === -1 ? refs : refs.slice(0, end);
  };
  let driver = 0;
  let probed: { readonly refs: EntryRef[]; readonly size: number } | undefined;
  if (filters.length > 1) {
    // The sparsest filter after the cursor drives: read the first limit + 1 ids of each; one
    // that has no more than that is the smallest set, else the one whose ids reach furthest.
    const size = Math.min(limit + 1, scanLimit);
    const chunks = await Promise.all(
      filters.map(async (terms) => inRange(await index.ids(terms, start, size))),
    );
    chunks.forEach((chunk, i) => {
      if (i !== driver && sparser(chunk, chunks[driver] ?? [], size)) driver = i;
    });
    probed = { refs: chunks[driver] ?? [], size };
  }
  const driverTerms = filters[driver] ?? [];
  const others = filters.filter((_, i) => i !== driver);
  const step = others.length === 0 ? limit + 1 : Math.max(limit + 1, CANDIDATE_STEP);

  const found: EntryRef[] = [];
  let examined = 0;
  let after = start;
  let next: string | null = null;
  scan: for (;;) {
    const wanted = probed?.size ?? Math.min(step, scanLimit - examined);
    // Fewer than wanted (the index, or the prefix's range, ends): the last step.
    const candidates = probed?.refs ?? inRange(await index.ids(driverTerms, after, wanted));
    probed = undefined;
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
      if (rows.length > 0 && bytes + row.body.length > query.maxBytes) {
        return { rows, next: rows[rows.length - 1]?.registryId ?? null, examined };
      }
      rows.push(row);
      bytes += row.body.length;
    }
  }
  return { rows, next, examined };
}

/** Whether the first `size` ids of one filter say it is sparser after the cursor than another's. */
function sparser(chunk: readonly EntryRef[], than: readonly EntryRef[], size: number): boolean {
  if (chunk.length < size || than.length < size) return chunk.length < than.length;
  const last = chunk[chunk.length - 1]?.registryId ?? '';
  return compareBytes(last, than[than.length - 1]?.registryId ?? '') > 0;
}

/** The answers of `refs` in order, from the cache where it has their revision, else the store. */
async function answers(
  index: EntryIndex,
  refs: readonly EntryRef[],
  view: EntryPageView,
  cache: AnswerCache | undefined,
): Promise<EncodedAnswer[]> {
  const cached = refs.map((ref) => cache?.get(view, ref));
  const missing = refs.filter((_, i) => cached[i] === undefined).map((ref) => ref.registryId);
  if (missing.length === 0) return cached as EncodedAnswer[];
  const read = new Map(
    (await index.documents(missing, view)).map(({ registryId, ownerId, json, revision }) => [
      registryId,
      { registryId, ownerId, revision, body: Buffer.from(json) },
    ]),
  );
  const result: EncodedAnswer[] = [];
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

/**
 * Byte order of UTF-8 strings, as SQLite's BINARY collation and PostgreSQL's "C" compare: code
 * point order. JavaScript's `<` compares UTF-16 code units, which differs only where a surrogate
 * (a code point above U+FFFF) meets a unit from U+E000 to U+FFFF.
 */
export function compareBytes(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const surrogateX = x >= 0xd800 && x <= 0xdfff;
      const surrogateY = y >= 0xd800 && y <= 0xdfff;
      if (surrogateX !== surrogateY && Math.max(x, y) >= 0xe000) return surrogateX ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}
