/**
 * A node: its NodeSpec in readable sections (raw JSON on demand), owner, lane and tier, every
 * active version, its log entry, and the "verified" badge: earned in this browser by checking
 * the entry's leaf and inclusion proof against the checkpoint the banner verified.
 */
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, type RegistryEntry, type VersionsJson } from '../api.js';
import { signalsOf } from '../graph-model.js';
import { href } from '../router.js';
import { useTrust } from '../trust-context.js';
import { TrustFailure, verifyEntryInBrowser, type EntryProof } from '../trust.js';
import { useAsync } from '../use-async.js';
import { ErrorLine, when } from './common.js';

type Badge =
  | { readonly state: 'verifying'; readonly text: string }
  | { readonly state: 'verified'; readonly proof: EntryProof }
  | {
      readonly state: 'failed';
      readonly step: string;
      readonly code: string;
      readonly text: string;
    };

function useBadge(entry: RegistryEntry | undefined): Badge {
  const { status, recheck } = useTrust();
  const [badge, setBadge] = useState<Badge>({ state: 'verifying', text: 'Verifying…' });
  // Entries already sent to the banner for a newer checkpoint (once each: a registry that keeps
  // claiming an index its checkpoints never reach gets the inclusion failure, not a loop).
  const rechecked = useRef(new Set<string>());
  useEffect(() => {
    if (entry === undefined) return;
    if (status.state === 'pending') {
      setBadge({ state: 'verifying', text: 'Verifying the log…' });
      return;
    }
    if (status.state === 'failed') {
      const { failure } = status;
      setBadge({ state: 'failed', step: failure.step, code: failure.code, text: failure.message });
      return;
    }
    if (
      entry.log_index >= status.trust.checkpoint.size &&
      !rechecked.current.has(entry.registry_id)
    ) {
      // Written after the checkpoint this visit verified: verify a newer one (consistent with it).
      rechecked.current.add(entry.registry_id);
      setBadge({ state: 'verifying', text: 'Verifying a newer checkpoint…' });
      recheck();
      return;
    }
    let live = true;
    setBadge({ state: 'verifying', text: 'Verifying the inclusion proof…' });
    verifyEntryInBrowser(entry, status.trust).then(
      (proof) => {
        if (live) setBadge({ state: 'verified', proof });
      },
      (error: unknown) => {
        if (!live) return;
        const failure =
          error instanceof TrustFailure
            ? error
            : new TrustFailure('inclusion', (error as Error).name, (error as Error).message);
        setBadge({
          state: 'failed',
          step: failure.step,
          code: failure.code,
          text: failure.message,
        });
      },
    );
    return () => {
      live = false;
    };
  }, [entry, status, recheck]);
  return badge;
}

function VerifiedBadge({ badge, entry }: { readonly badge: Badge; readonly entry: RegistryEntry }) {
  const { status } = useTrust();
  const label =
    badge.state === 'verified'
      ? 'Verified in this browser'
      : badge.state === 'failed'
        ? `Not verified: ${badge.step} failed`
        : badge.text;
  return (
    <div class="badge-box">
      <p
        id="verify-badge"
        class={`badge badge-${badge.state}`}
        data-state={badge.state}
        {...(badge.state === 'failed' ? { 'data-step': badge.step, 'data-code': badge.code } : {})}
        role="status"
      >
        {badge.state === 'verified' ? '✔ ' : badge.state === 'failed' ? '✘ ' : ''}
        {label}
      </p>
      {badge.state === 'failed' && (
        <p class="badge-detail">
          {badge.text} <span class="mono">({badge.code})</span>
        </p>
      )}
      {badge.state === 'verified' && status.state === 'ok' && (
        <ul class="badge-detail checks">
          {status.trust.mode === 'trust-root' && (
            <li>
              Trust root chain walked: version{status.trust.walked.length > 1 ? 's' : ''}{' '}
              {status.trust.walked.join(' → ')}
              {status.trust.revocations === undefined
                ? ''
                : `; revocation list version ${status.trust.revocations.version} (${status.trust.revocations.revoked.length} revoked)`}
            </li>
          )}
          <li>
            Checkpoint of size {status.trust.checkpoint.size} signed with Ed25519 and ML-DSA-44 by
            the log key
          </li>
          {entry.provenance === 'legacy-import' ? (
            <li>
              Log entry {badge.proof.index} is in that tree (inclusion proof) and is the operator's
              import of exactly this NodeSpec from the prototype registry, signed by the trust
              root's enrolment role (the owner did not sign it)
              {entry.claimed_log_index === undefined
                ? '; not yet claimed by its owner'
                : `; log entry ${String(entry.claimed_log_index)} binds it to its owner (claim)`}
            </li>
          ) : (
            <li>
              Log entry {badge.proof.index} is in that tree (inclusion proof) and is the owner's
              signed registration of exactly this NodeSpec
            </li>
          )}
        </ul>
      )}
    </div>
  );
}

function nameOf(registryId: string): string {
  const at = registryId.lastIndexOf('@');
  return at < 0 ? registryId : registryId.slice(0, at);
}

export function NodePage({ id }: { readonly id: string }) {
  const loaded = useAsync(
    () => getJson<RegistryEntry>(`api/v1/registry/${encodeURIComponent(id)}`),
    id,
  );
  const entry = loaded.state === 'done' ? loaded.value : undefined;
  const badge = useBadge(entry);
  const [raw, setRaw] = useState(false);
  return (
    <article aria-labelledby="node-title">
      <h1 id="node-title" class="mono">
        {id}
      </h1>
      {loaded.state === 'loading' && <p role="status">Loading…</p>}
      {loaded.state === 'error' && <ErrorLine error={loaded.error} />}
      {entry !== undefined && (
        <>
          <VerifiedBadge badge={badge} entry={entry} />
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              {entry.status}
              {entry.deregistered_log_index === undefined
                ? ''
                : ` (deregistered at log entry ${entry.deregistered_log_index})`}
            </dd>
            <dt>Owner</dt>
            <dd>
              <a class="mono" href={href('search', { owner: entry.owner_id })}>
                {entry.owner_id}
              </a>
              {entry.owner_revoked_at !== undefined && (
                <p class="error" id="owner-revoked">
                  The owner's key was revoked at {when(entry.owner_revoked_at)}: this entry stays in
                  the log as it was signed, and nothing signed by that key can change it.
                </p>
              )}
            </dd>
            <dt>Lane and tier</dt>
            <dd>
              <a href={href('search', { lane: entry.lane })}>{entry.lane}</a>, tier {entry.tier}
            </dd>
            <dt>Log entry</dt>
            <dd>
              index {entry.log_index}, integrated {when(entry.integrated_at)}
              {entry.provenance === 'legacy-import' ? ' (imported from the legacy registry)' : ''}
            </dd>
            <dt>Spec digest</dt>
            <dd class="mono wrap">{entry.spec_digest}</dd>
          </dl>
          <NodeSpecView spec={entry.node_spec} />
          <p>
            <button
              type="button"
              aria-pressed={raw}
              aria-controls="raw-json"
              onClick={() => {
                setRaw(!raw);
              }}
            >
              {raw ? 'Hide' : 'Show'} the raw NodeSpec JSON
            </button>
          </p>
          {raw && (
            <pre id="raw-json" class="raw" tabIndex={0} aria-label="NodeSpec JSON">
              {JSON.stringify(entry.node_spec, null, 2)}
            </pre>
          )}
          <Versions name={nameOf(entry.registry_id)} current={entry.registry_id} />
        </>
      )}
    </article>
  );
}

function Versions({ name, current }: { readonly name: string; readonly current: string }) {
  const versions = useAsync(
    () => getJson<VersionsJson>(`api/v1/registry/versions/${encodeURIComponent(name)}`),
    name,
  );
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Every version of {name}</h2>
      {versions.state === 'error' && <ErrorLine error={versions.error} />}
      {versions.state === 'done' && (
        <>
          <ol class="versions" id="versions">
            {versions.value.versions.map((version) => (
              <li key={version.registry_id}>
                {version.registry_id === current ? (
                  <strong aria-current="page">{version.registry_id}</strong>
                ) : (
                  <a href={href('node', version.registry_id)}>{version.registry_id}</a>
                )}{' '}
                ({version.lane}, tier {version.tier}, log entry {version.log_index}
                {version.status === 'deregistered'
                  ? `; deregistered at log entry ${String(version.deregistered_log_index)}`
                  : ''}
                )
              </li>
            ))}
          </ol>
          {versions.value.truncated === true && (
            <p>
              The first {versions.value.versions.length} of {versions.value.version_count} versions.
            </p>
          )}
        </>
      )}
    </section>
  );
}

type Json = Readonly<Record<string, unknown>>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value);
}

const signalSearch = (signal: string) => href('search', { signal });

/** A titled list, each item a link when `link` is given. */
function Column(props: {
  readonly title: string;
  readonly items: readonly string[];
  readonly link?: (item: string) => string;
  readonly mono?: boolean;
}) {
  const { title, items, link, mono = false } = props;
  return (
    <div>
      <h4>{title}</h4>
      {items.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul {...(mono ? { class: 'mono' } : {})}>
          {items.map((item) => (
            <li key={item}>{link === undefined ? item : <a href={link(item)}>{item}</a>}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The NodeSpec's sections a reader looks for first; the rest as a definition list. */
function NodeSpecView({ spec }: { readonly spec: Json }) {
  const metadata = record(spec.metadata);
  const identity = record(spec.identity);
  const interfaces = record(spec.interfaces);
  const { emits, subscribes } = signalsOf(spec);
  const policy = record(identity.capabilities_policy);
  const shown = new Set(['metadata', 'identity', 'interfaces']);
  return (
    <section aria-labelledby="spec-title" class="spec">
      <h2 id="spec-title">NodeSpec</h2>
      <h3>Metadata</h3>
      <dl class="facts">
        {Object.entries(metadata).map(([key, value]) => (
          <Fragment key={key}>
            <dt>{key}</dt>
            <dd>{list(value).length > 0 ? list(value).map(text).join(', ') : text(value)}</dd>
          </Fragment>
        ))}
        <dt>node_type</dt>
        <dd>{text(spec.node_type)}</dd>
      </dl>
      <h3>Signals</h3>
      <div class="two-columns">
        <Column title="Emits" items={emits} link={signalSearch} />
        <Column title="Subscribes to" items={subscribes} link={signalSearch} />
      </div>
      <h3>Capabilities</h3>
      <div class="two-columns">
        <Column title="Allowed" items={list(policy.allow).map(text)} mono />
        <Column title="Denied" items={list(policy.deny).map(text)} mono />
      </div>
      <h3>Interfaces</h3>
      <dl class="facts">
        <dt>Inputs</dt>
        <dd>
          {list(interfaces.inputs)
            .map((input) => text(record(input).name))
            .join(', ') || '—'}
        </dd>
        <dt>Outputs</dt>
        <dd>
          {list(interfaces.outputs)
            .map((output) => text(record(output).name))
            .join(', ') || '—'}
        </dd>
        <dt>Roles</dt>
        <dd>{list(identity.roles).map(text).join(', ') || '—'}</dd>
      </dl>
      <h3>Other sections</h3>
      <dl class="facts">
        {Object.entries(spec)
          .filter(([key]) => !shown.has(key) && key !== 'node_type')
          .map(([key, value]) => (
            <Fragment key={key}>
              <dt>{key}</dt>
              <dd class="mono wrap">{text(value)}</dd>
            </Fragment>
          ))}
      </dl>
    </section>
  );
}
