/** Search: by name, signal, capability, lane and owner; the URL holds the query and the page. */
import { LANES } from '../../src/nodespec/nodespec.js';
import { getJson, queryString, type EntrySummary, type Page } from '../api.js';
import { href, type Route } from '../router.js';
import { useAsync } from '../use-async.js';
import { ErrorLine, field } from './common.js';

const FIELDS = ['name', 'signal', 'capability', 'lane', 'owner'] as const;
type Field = (typeof FIELDS)[number];
const PAGE_SIZE = 25;

function filtersOf(params: URLSearchParams): Record<Field, string> {
  const filters = {} as Record<Field, string>;
  for (const field of FIELDS) filters[field] = params.get(field)?.trim() ?? '';
  return filters;
}

export function SearchPage({ route }: { readonly route: Route }) {
  const filters = filtersOf(route.params);
  const cursor = route.params.get('cursor') ?? '';
  const query = queryString({ ...filters, cursor, view: 'summary', limit: String(PAGE_SIZE) });
  const page = useAsync(() => getJson<Page<EntrySummary>>(`api/v1/registry/query?${query}`), query);

  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next: Record<string, string> = {};
    for (const name of FIELDS) next[name] = field(form, name);
    location.hash = href('search', next);
  };

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search nodes</h1>
      {/* Uncontrolled fields (typing survives re-renders), re-created when the query changes. */}
      <form class="search-form" onSubmit={submit} role="search" key={queryString(filters)}>
        <label>
          Name starts with
          <input
            name="name"
            defaultValue={filters.name}
            placeholder="memory_adapter"
            autocomplete="off"
          />
        </label>
        <label>
          Signal (emitted or subscribed)
          <input
            name="signal"
            defaultValue={filters.signal}
            placeholder="memory_stored"
            autocomplete="off"
          />
        </label>
        <label>
          Capability
          <input
            name="capability"
            defaultValue={filters.capability}
            placeholder="read:memory/episodic/x"
            autocomplete="off"
          />
        </label>
        <label>
          Lane
          <select name="lane">
            <option value="">any</option>
            {LANES.map((lane) => (
              <option key={lane} value={lane} selected={lane === filters.lane}>
                {lane}
              </option>
            ))}
          </select>
        </label>
        <label>
          Owner (GLYMPH id)
          <input
            name="owner"
            defaultValue={filters.owner}
            placeholder="GLYMPH:…"
            autocomplete="off"
          />
        </label>
        <button type="submit">Search</button>
      </form>
      {page.state === 'loading' && <p role="status">Searching…</p>}
      {page.state === 'error' && <ErrorLine error={page.error} />}
      {page.state === 'done' && <Results page={page.value} filters={filters} cursor={cursor} />}
    </section>
  );
}

function Results({
  page,
  filters,
  cursor,
}: {
  readonly page: Page<EntrySummary>;
  readonly filters: Record<Field, string>;
  readonly cursor: string;
}) {
  if (page.entries.length === 0 && page.next_cursor === null)
    return <p role="status">No active node matches.</p>;
  return (
    <>
      <p role="status" class="result-count">
        {page.entries.length} node{page.entries.length === 1 ? '' : 's'} on this page
        {cursor === '' ? '' : ` (after ${cursor})`}
      </p>
      <div class="table-scroll">
        <table class="results">
          <caption class="visually-hidden">Matching nodes</caption>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Lane</th>
              <th scope="col">Tier</th>
              <th scope="col">Signals</th>
              <th scope="col">Owner</th>
            </tr>
          </thead>
          <tbody>
            {page.entries.map((entry) => (
              <tr key={entry.registry_id}>
                <td>
                  <a href={href('node', entry.registry_id)}>{entry.registry_id}</a>
                  {entry.owner_revoked_at !== undefined && (
                    <span class="tag tag-bad"> owner key revoked</span>
                  )}
                </td>
                <td>{entry.lane}</td>
                <td>{entry.tier}</td>
                <td>{entry.signals.join(', ')}</td>
                <td>
                  <a href={href('search', { owner: entry.owner_id })} class="mono">
                    {shortOwner(entry.owner_id)}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Result pages">
        {cursor !== '' && <a href={href('search', filters)}>First page</a>}
        {page.next_cursor !== null && (
          <a href={href('search', { ...filters, cursor: page.next_cursor })} rel="next">
            Next page
          </a>
        )}
      </nav>
    </>
  );
}

export function shortOwner(owner: string): string {
  return owner.length > 22 ? `${owner.slice(0, 14)}…${owner.slice(-6)}` : owner;
}
