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

/** What a store provides for `readEntryPage`: reads of its entry index and stored answers. */
export interface EntryIndex {
  /** The first `count` ids after `after`, ascending and distinct, listed under any of `terms`. */
  ids(terms: readonly string[], after: string, count: number): Promise<string[]>;
  /** How many ids after `after` are listed under each of `terms`, summed, counted up to `cap`. */
  count(terms: readonly string[], after: string, cap: number): Promise<number>;
  /** Which of `ids` are listed under any of `terms`. */
  listed(ids: readonly string[], terms: readonly string[]): Promise<Set<string>>;
  /** The stored answers of those of `ids` that are active, in id order. */
  documents(ids: readonly string[], view: EntryPageView): Promise<EntryPageRow[]>;
  /**
   * The stored answers of the first `count` entries after `after` listed under `term`: `ids`
   * and `documents` in one read, for the most common query, one filter of one term.
   */
  termDocuments(
    term: string,
    after: string,
    count: number,
    view: EntryPageView,
  ): Promise<EntryPageRow[]>;
}

/** Step of candidate ids read at a time when several filters must match. */
const CANDIDATE_STEP = 200;
/** Answers read at a time while the page's byte budget is filled. */
const DOCUMENT_STEP = 64;

export async function readEntryPage(index: EntryIndex, query: EntryPageQuery): Promise<EntryPage> {
  const { filters, limit, scanLimit } = query;
  if (filters.length === 0) throw new Error('readEntryPage needs at least one filter');
  if (filters.some((terms) => terms.length === 0)) return { rows: [], next: null, examined: 0 };
  const start = query.after ?? '';
  const only = filters.length === 1 ? filters[0] : undefined;
  if (only?.length === 1) {
    const rows = await index.termDocuments(only[0] ?? '', start, limit + 1, query.view);
    const more = rows.length > limit;
    return withinBytes(rows.slice(0, limit), more, rows.length, query.maxBytes);
  }
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

  const found: string[] = [];
  let examined = 0;
  let after = start;
  let next: string | null = null;
  scan: for (;;) {
    const wanted = Math.min(step, scanLimit - examined);
    const candidates = await index.ids(driverTerms, after, wanted);
    let matching = candidates;
    for (const terms of others) {
      if (matching.length === 0) break;
      const listed = await index.listed(matching, terms);
      matching = matching.filter((id) => listed.has(id));
    }
    const matches = new Set(matching);
    for (const id of candidates) {
      examined++;
      if (matches.has(id)) {
        if (found.length === limit) {
          next = found[found.length - 1] ?? null;
          break scan;
        }
        found.push(id);
      }
      if (examined >= scanLimit) {
        next = id;
        break scan;
      }
    }
    const last = candidates[candidates.length - 1];
    if (last === undefined || candidates.length < wanted) break;
    after = last;
  }

  const rows: EntryPageRow[] = [];
  let bytes = 0;
  for (let i = 0; i < found.length; i += DOCUMENT_STEP) {
    for (const row of await index.documents(found.slice(i, i + DOCUMENT_STEP), query.view)) {
      const size = Buffer.byteLength(row.json);
      if (rows.length > 0 && bytes + size > query.maxBytes) {
        return { rows, next: rows[rows.length - 1]?.registryId ?? null, examined };
      }
      rows.push(row);
      bytes += size;
    }
  }
  return { rows, next, examined };
}

/** `rows` cut to `maxBytes` (at least one row); the cursor follows the last row kept. */
function withinBytes(
  rows: readonly EntryPageRow[],
  more: boolean,
  examined: number,
  maxBytes: number,
): EntryPage {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += Buffer.byteLength((rows[i] as EntryPageRow).json);
    if (i > 0 && bytes > maxBytes) {
      return { rows: rows.slice(0, i), next: rows[i - 1]?.registryId ?? null, examined };
    }
  }
  return {
    rows,
    next: more ? (rows[rows.length - 1]?.registryId ?? null) : null,
    examined,
  };
}

/** Merges ascending id lists into the first `count` distinct ids, ascending (byte order). */
export function mergeIds(lists: readonly (readonly string[])[], count: number): string[] {
  const nonEmpty = lists.filter((list) => list.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return (nonEmpty[0] ?? []).slice(0, count);
  const merged = [...new Set(nonEmpty.flat())].sort(compareBytes);
  return merged.slice(0, count);
}

/** Byte order of UTF-8 strings, as SQLite's BINARY collation and PostgreSQL's "C" compare. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
