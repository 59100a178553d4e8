/**
 * The log: the latest checkpoint (verified by the banner's check), tree size over time (sampled
 * leaves' integration times), the newest entries, trust events (every trust root version, the
 * revocation list, and the trust records of the newest entries or of the whole log), and a
 * consistency check between any two sizes, proven against the signed checkpoint in this browser.
 */
import { useState } from 'preact/hooks';
import { decodeEntryBundle, tilePath } from '../../src/log/tiles.js';
import { parseLeaf, type LogLeaf } from '../../src/verify/index.js';
import { getBytes, getJson, getJsonOrNone, getText } from '../api.js';
import { href } from '../router.js';
import { useTrust } from '../trust-context.js';
import { checkConsistency, TrustFailure, type ConsistencyResult } from '../trust.js';
import { useAsync } from '../use-async.js';
import { ErrorLine, when } from './common.js';

const NEWEST = 20;
const SAMPLES = 24;
/** The newest entries read for trust records by default (the whole log on request). */
const TRUST_SCAN = 512;
const TILE_WIDTH = 256;

interface LeafRow {
  readonly index: number;
  readonly leaf: LogLeaf;
}

function leafOrUndefined(bytes: Uint8Array): LogLeaf | undefined {
  try {
    return parseLeaf(bytes);
  } catch {
    return undefined;
  }
}

async function leaves(indexes: readonly number[]): Promise<LeafRow[]> {
  const rows: LeafRow[] = [];
  // A few requests at a time: the registry's rate limit is per client.
  for (let i = 0; i < indexes.length; i += 6) {
    const batch = indexes.slice(i, i + 6);
    const fetched = await Promise.all(
      batch.map(async (index) => ({
        index,
        bytes: await getBytes(`api/v1/log/entries/${index}`),
      })),
    );
    for (const { index, bytes } of fetched) {
      const leaf = leafOrUndefined(bytes);
      if (leaf !== undefined) rows.push({ index, leaf });
    }
  }
  return rows;
}

/**
 * The leaves of [start, size) that `keep` accepts, from the tlog-tiles entry bundles (256 leaves
 * each); `progress` hears how many leaves were read so far.
 */
async function bundleLeaves(
  start: number,
  size: number,
  keep: (leaf: LogLeaf) => boolean = () => true,
  progress?: (read: number) => void,
): Promise<LeafRow[]> {
  const rows: LeafRow[] = [];
  for (let tile = Math.floor(start / TILE_WIDTH); tile * TILE_WIDTH < size; tile++) {
    const width = Math.min(TILE_WIDTH, size - tile * TILE_WIDTH);
    const bytes = await getBytes(tilePath({ level: 'entries', index: tile, width }));
    decodeEntryBundle(bytes, width).forEach((leaf, i) => {
      const index = tile * TILE_WIDTH + i;
      const parsed = index >= start ? leafOrUndefined(leaf) : undefined;
      if (parsed !== undefined && keep(parsed)) rows.push({ index, leaf: parsed });
    });
    progress?.(tile * TILE_WIDTH + width - start);
  }
  return rows;
}

function describe(leaf: LogLeaf) {
  return leaf.kind === 'write' ? (
    <a href={href('node', leaf.registryId)}>{leaf.registryId}</a>
  ) : (
    <span class="tag">{leaf.kind}</span>
  );
}

export function LogPage() {
  const { status } = useTrust();
  const note = useAsync(() => getText('api/v1/log/checkpoint'), 'checkpoint');
  const size = status.state === 'ok' ? status.trust.checkpoint.size : undefined;
  return (
    <section aria-labelledby="log-title">
      <h1 id="log-title">Log</h1>
      <h2>Latest checkpoint</h2>
      {status.state === 'ok' && (
        <p class="verified-line">
          ✔ Verified in this browser: size {status.trust.checkpoint.size}, signed{' '}
          {new Date(status.trust.timestamp * 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC
        </p>
      )}
      {note.state === 'done' && (
        <pre class="raw" tabIndex={0} aria-label="Checkpoint note">
          {note.value}
        </pre>
      )}
      {note.state === 'error' && <ErrorLine error={note.error} />}
      {size !== undefined && size > 0 && (
        <>
          <Growth size={size} />
          <Newest size={size} />
          <TrustEvents size={size} />
          <Consistency />
        </>
      )}
      {size === 0 && <p>The log is empty.</p>}
    </section>
  );
}

function Growth({ size }: { readonly size: number }) {
  const samples = useAsync(async () => {
    const count = Math.min(SAMPLES, size);
    const indexes = [
      ...new Set(
        Array.from({ length: count }, (_, i) =>
          Math.round((i * (size - 1)) / Math.max(count - 1, 1)),
        ),
      ),
    ];
    return (await leaves(indexes)).map((row) => ({
      size: row.index + 1,
      time: Date.parse(row.leaf.integratedAt),
    }));
  }, `growth-${size}`);
  return (
    <section aria-labelledby="growth-title">
      <h2 id="growth-title">Tree size over time</h2>
      {samples.state === 'loading' && <p role="status">Reading sampled entries…</p>}
      {samples.state === 'error' && <ErrorLine error={samples.error} />}
      {samples.state === 'done' && <GrowthChart points={samples.value} />}
    </section>
  );
}

function GrowthChart({ points }: { readonly points: readonly { size: number; time: number }[] }) {
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return <p>No entries.</p>;
  const width = 600;
  const height = 160;
  const span = Math.max(last.time - first.time, 1);
  const xy = points.map(
    (p) =>
      `${(((p.time - first.time) / span) * (width - 20) + 10).toFixed(1)},${(height - 10 - (p.size / last.size) * (height - 20)).toFixed(1)}`,
  );
  return (
    <figure class="growth">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-labelledby="growth-caption"
        preserveAspectRatio="none"
      >
        <line x1="10" y1={height - 10} x2={width - 10} y2={height - 10} stroke="#666" />
        <line x1="10" y1="10" x2="10" y2={height - 10} stroke="#666" />
        <polyline points={xy.join(' ')} fill="none" stroke="#0b5cad" stroke-width="2" />
      </svg>
      <figcaption id="growth-caption">
        From 1 entry at {when(new Date(first.time).toISOString())} to {last.size} entries at{' '}
        {when(new Date(last.time).toISOString())} ({points.length} sampled entries)
      </figcaption>
    </figure>
  );
}

function Newest({ size }: { readonly size: number }) {
  const rows = useAsync(async () => {
    const start = Math.max(0, size - NEWEST);
    return (await bundleLeaves(start, size)).reverse();
  }, `newest-${size}`);
  return (
    <section aria-labelledby="newest-title">
      <h2 id="newest-title">Newest entries</h2>
      {rows.state === 'loading' && <p role="status">Reading the newest entries…</p>}
      {rows.state === 'error' && <ErrorLine error={rows.error} />}
      {rows.state === 'done' && (
        <div class="table-scroll">
          <table id="newest-entries">
            <thead>
              <tr>
                <th scope="col">Index</th>
                <th scope="col">Entry</th>
                <th scope="col">Integrated</th>
              </tr>
            </thead>
            <tbody>
              {rows.value.map((row) => (
                <tr key={row.index}>
                  <td>{row.index}</td>
                  <td>{describe(row.leaf)}</td>
                  <td>{when(row.leaf.integratedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

interface RootPayload {
  readonly version: number;
  readonly expires: string;
  readonly roles?: Record<string, { keyids?: string[]; threshold?: number }>;
}

function payloadOf(envelope: unknown): unknown {
  return JSON.parse(atob((envelope as { payload: string }).payload));
}

function TrustEvents({ size }: { readonly size: number }) {
  // The newest TRUST_SCAN entries by default; the whole log (every bundle) on request.
  const [whole, setWhole] = useState(false);
  const [read, setRead] = useState(0);
  const events = useAsync(
    async () => {
      const newest = await getJsonOrNone<unknown>('api/v1/trust/root');
      const roots: RootPayload[] = [];
      if (newest !== undefined) {
        const count = (payloadOf(newest) as RootPayload).version;
        for (let version = 1; version <= count; version++)
          roots.push(
            payloadOf(await getJson<unknown>(`api/v1/trust/root/${version}`)) as RootPayload,
          );
      }
      const revocations = await getJsonOrNone<unknown>('api/v1/trust/revocations');
      const start = whole ? 0 : Math.max(0, size - TRUST_SCAN);
      const records = await bundleLeaves(start, size, (leaf) => leaf.kind !== 'write', setRead);
      return {
        roots,
        revocations:
          revocations === undefined
            ? undefined
            : (payloadOf(revocations) as {
                version: number;
                revoked: { keyid: string; revoked_at: string; reason: string }[];
              }),
        records: records.reverse(),
        scanned: size - start,
      };
    },
    `trust-${size}-${String(whole)}`,
  );
  return (
    <section aria-labelledby="trust-title">
      <h2 id="trust-title">Trust events</h2>
      {events.state === 'loading' && (
        <p role="status">Reading trust documents… {read > 0 ? `${read} entries read` : ''}</p>
      )}
      {events.state === 'error' && <ErrorLine error={events.error} />}
      {events.state === 'done' && (
        <>
          <h3>Trust roots</h3>
          {events.value.roots.length === 0 ? (
            <p>This log has no trust root (matriz trust init); the banner pins its log keys.</p>
          ) : (
            <ul id="trust-roots">
              {events.value.roots.map((root) => (
                <li key={root.version}>
                  Version {root.version}, expires {when(root.expires)}; log keys:{' '}
                  <span class="mono">{(root.roles?.log?.keyids ?? []).join(', ')}</span>
                </li>
              ))}
            </ul>
          )}
          <h3>Revocations</h3>
          {events.value.revocations === undefined ? (
            <p>No key has been revoked.</p>
          ) : (
            <ul id="revocations">
              {events.value.revocations.revoked.map((revocation) => (
                <li key={revocation.keyid}>
                  <span class="mono">{revocation.keyid}</span> revoked {when(revocation.revoked_at)}
                  : {revocation.reason}
                </li>
              ))}
            </ul>
          )}
          <h3>
            Trust records{' '}
            {events.value.scanned === size
              ? `in the whole log (${size} entries)`
              : `among the newest ${events.value.scanned} entries`}
          </h3>
          {events.value.scanned < size && (
            <p>
              <button
                type="button"
                onClick={() => {
                  setRead(0);
                  setWhole(true);
                }}
              >
                Read all {size} entries for trust records
              </button>{' '}
              (the log's entry bundles: a few KB per entry)
            </p>
          )}
          {events.value.records.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul id="trust-records">
              {events.value.records.map((row) => (
                <li key={row.index}>
                  Entry {row.index}: <span class="tag">{row.leaf.kind}</span>,{' '}
                  {when(row.leaf.integratedAt)}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function Consistency() {
  const { status } = useTrust();
  const signed = status.state === 'ok' ? status.trust.checkpoint : undefined;
  const [result, setResult] = useState<
    | { state: 'idle' }
    | { state: 'checking' }
    | { state: 'ok'; value: ConsistencyResult }
    | { state: 'failed'; message: string }
  >({ state: 'idle' });
  if (signed === undefined) return null;
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const from = Number(form.get('from'));
    const to = Number(form.get('to'));
    setResult({ state: 'checking' });
    checkConsistency(from, to, signed).then(
      (value) => {
        setResult({ state: 'ok', value });
      },
      (error: unknown) => {
        const failure =
          error instanceof TrustFailure ? `${error.message} (${error.code})` : String(error);
        setResult({ state: 'failed', message: failure });
      },
    );
  };
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
  return (
    <section aria-labelledby="consistency-title">
      <h2 id="consistency-title">Consistency between two sizes</h2>
      <form class="search-form" onSubmit={submit}>
        <label>
          From size
          <input
            name="from"
            type="number"
            min="1"
            max={signed.size}
            required
            defaultValue={String(Math.max(1, Math.floor(signed.size / 2)))}
          />
        </label>
        <label>
          To size
          <input
            name="to"
            type="number"
            min="1"
            max={signed.size}
            required
            defaultValue={String(signed.size)}
          />
        </label>
        <button type="submit">Check</button>
      </form>
      <div id="consistency-result" role="status">
        {result.state === 'checking' && <p>Checking…</p>}
        {result.state === 'ok' && (
          <p class="verified-line">
            ✔ The tree of size {result.value.from.size} (root{' '}
            <span class="mono">{b64(result.value.from.rootHash)}</span>) is a prefix of the tree of
            size {result.value.to.size} (root{' '}
            <span class="mono">{b64(result.value.to.rootHash)}</span>), both proven against the
            signed checkpoint of size {signed.size}.
          </p>
        )}
        {result.state === 'failed' && <p class="error">✘ {result.message}</p>}
      </div>
    </section>
  );
}
