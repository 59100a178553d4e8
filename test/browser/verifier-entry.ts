/**
 * The browser side of test/browser/verifier.test.ts: glue that fetches the evidence from the
 * page's origin (a loopback pass-through to a real `matriz serve`) and hands it to the public
 * export `matriz/verify` (src/verify/index.ts), bundled by Rolldown for `platform: 'browser'` and
 * run in a real Chromium. Every check is the export's; this file only turns its results and typed
 * errors into verdict rows.
 */
import type { BackendPreference } from '../../src/verify/index.js';
import {
  checkWitnessPolicy,
  loadVerifierSuites,
  parseNote,
  parseWitnessPolicy,
  peekCheckpoint,
  verifyCheckpointUnderRoot,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyRevocations,
  verifyTrustRootChain,
  type RevocationList,
  type TrustRoot,
} from '../../src/verify/index.js';

/** Everything a verifier needs, as the registry serves it (envelopes as parsed JSON). */
export interface Evidence {
  /** Trust root envelopes: the first is the pinned one, the rest the chain walked from it. */
  readonly roots: unknown[];
  /** The newest revocation list envelope, or null when the log has none. */
  readonly revocations: unknown;
  /** The latest checkpoint note. */
  readonly checkpoint: string;
  /** An earlier checkpoint note the latest must be consistent with (null: none). */
  readonly earlierCheckpoint: string | null;
  /** The consistency proof (base64 hashes) from the earlier checkpoint to the latest. */
  readonly consistencyProof: string[];
  readonly leafIndex: number;
  /** The exact leaf bytes at leafIndex, base64. */
  readonly leafB64: string;
  /** The inclusion proof (base64 hashes) of the leaf in the latest checkpoint's tree. */
  readonly inclusionProof: string[];
}

export interface VerifyOptions {
  /** ISO 8601 time to check expiry against (default: the browser's clock). */
  readonly now?: string;
  readonly backend?: BackendPreference;
  /** A witness policy file's JSON: the checkpoint must be cosigned by k of its witnesses. */
  readonly witnessPolicy?: unknown;
}

export interface Verdict {
  readonly check: string;
  readonly ok: boolean;
  /** A TrustError/CryptoError code, or a code of this verifier for proof mismatches. */
  readonly code?: string;
  readonly message?: string;
  readonly detail?: Record<string, unknown>;
}

export interface Report {
  readonly verdicts: Verdict[];
  /** The backend each suite ran on in this browser. */
  readonly backends: Record<string, string>;
  /** Whether node:crypto or Buffer was visible to the code (must be false in a browser). */
  readonly nodeGlobals: { process: boolean; buffer: boolean };
}

async function fetchOk(path: string): Promise<Response> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return response;
}

async function fetchJson(path: string): Promise<unknown> {
  return (await fetchOk(path)).json();
}

async function fetchProof(path: string): Promise<string[]> {
  return ((await fetchJson(path)) as { hashes: string[] }).hashes;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Fetches roots v1..newest, the revocation list, checkpoints, the leaf and both proofs. */
async function fetchEvidence(input: {
  leafIndex: number;
  earlierCheckpoint: string | null;
}): Promise<Evidence> {
  const newest = (await fetchJson('/api/v1/trust/root')) as { payload: string };
  const newestVersion = (JSON.parse(atob(newest.payload)) as { version: number }).version;
  const roots: unknown[] = [];
  for (let version = 1; version <= newestVersion; version++)
    roots.push(await fetchJson(`/api/v1/trust/root/${version}`));
  const revocationsResponse = await fetch('/api/v1/trust/revocations');
  const revocations = revocationsResponse.ok ? await revocationsResponse.json() : null;
  const checkpoint = await (await fetchOk('/api/v1/log/checkpoint')).text();
  const size = peekCheckpoint(checkpoint).size;
  const leaf = new Uint8Array(
    await (await fetchOk(`/api/v1/log/entries/${input.leafIndex}`)).arrayBuffer(),
  );
  const inclusionProof = await fetchProof(
    `/api/v1/log/proof/inclusion?index=${input.leafIndex}&size=${size}`,
  );
  const earlierSize =
    input.earlierCheckpoint === null ? undefined : peekCheckpoint(input.earlierCheckpoint).size;
  const consistencyProof =
    earlierSize === undefined || earlierSize === size
      ? []
      : await fetchProof(`/api/v1/log/proof/consistency?from=${earlierSize}&to=${size}`);
  return {
    roots,
    revocations,
    checkpoint,
    earlierCheckpoint: input.earlierCheckpoint,
    consistencyProof,
    leafIndex: input.leafIndex,
    leafB64: bytesToBase64(leaf),
    inclusionProof,
  };
}

function refusal(check: string, error: unknown): Verdict {
  const code = (error as { code?: unknown }).code;
  return {
    check,
    ok: false,
    code: typeof code === 'string' ? code : (error as Error).name,
    message: (error as Error).message,
  };
}

function base64ToBytes(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/**
 * Verifies `evidence` as a client pinned at roots[0] would: the pinned root self-signed, the
 * chain to the newest root, the revocation list under it, the checkpoint under it, the leaf's
 * inclusion and the earlier checkpoint's consistency. Every step yields a verdict row; a refused
 * step stops the steps that depend on it.
 */
async function verify(evidence: Evidence, options: VerifyOptions = {}): Promise<Report> {
  const now = options.now === undefined ? new Date() : new Date(options.now);
  const suites = await loadVerifierSuites(options.backend ?? 'auto');
  const verdicts: Verdict[] = [];
  const report = (): Report => ({
    verdicts,
    backends: { ed25519: suites.ed25519.backend, 'ml-dsa-44': suites.mlDsa44.backend },
    nodeGlobals: {
      process: typeof (globalThis as { process?: unknown }).process !== 'undefined',
      buffer: typeof (globalThis as { Buffer?: unknown }).Buffer !== 'undefined',
    },
  });

  // The pinned root on its own first, so its refusal gets its own row; expiry (a clock of 0
  // here) is the newest root's, checked by the walk in the next row.
  let pinned: TrustRoot;
  try {
    pinned = (await verifyTrustRootChain(evidence.roots[0], [], { suites, now: new Date(0) }))
      .pinned;
    verdicts.push({ check: 'pinned-root', ok: true, detail: { version: pinned.version } });
  } catch (error) {
    verdicts.push(refusal('pinned-root', error));
    return report();
  }

  let root: TrustRoot;
  try {
    const walked = await verifyTrustRootChain(evidence.roots[0], evidence.roots.slice(1), {
      suites,
      now,
    });
    root = walked.newest;
    verdicts.push({
      check: 'root-chain',
      ok: true,
      detail: { versions: [walked.pinned.version, ...walked.chain.map((r) => r.version)] },
    });
  } catch (error) {
    verdicts.push(refusal('root-chain', error));
    return report();
  }

  let revocations: RevocationList | undefined;
  if (evidence.revocations !== null) {
    try {
      revocations = await verifyRevocations(evidence.revocations, root, { suites });
      verdicts.push({
        check: 'revocations',
        ok: true,
        detail: { version: revocations.version, revoked: revocations.revoked.map((r) => r.keyid) },
      });
    } catch (error) {
      verdicts.push(refusal('revocations', error));
      return report();
    }
  }

  const underRoot = { suites, ...(revocations === undefined ? {} : { revocations }) };
  let checkpoint;
  try {
    checkpoint = verifyCheckpointUnderRoot(evidence.checkpoint, root, underRoot).checkpoint;
    verdicts.push({
      check: 'checkpoint',
      ok: true,
      detail: { size: checkpoint.size, rootVersion: root.version },
    });
  } catch (error) {
    verdicts.push(refusal('checkpoint', error));
    return report();
  }

  if (options.witnessPolicy !== undefined) {
    try {
      const policy = parseWitnessPolicy(options.witnessPolicy);
      const cosigned = checkWitnessPolicy(
        parseNote(evidence.checkpoint),
        checkpoint,
        policy,
        suites,
      );
      verdicts.push({ check: 'witnesses', ok: true, detail: { cosigned } });
    } catch (error) {
      verdicts.push(refusal('witnesses', error));
      return report();
    }
  }

  try {
    verifyInclusionProof(
      base64ToBytes(evidence.leafB64),
      evidence.leafIndex,
      evidence.inclusionProof,
      checkpoint,
    );
    verdicts.push({ check: 'inclusion', ok: true, detail: { index: evidence.leafIndex } });
  } catch (error) {
    verdicts.push(refusal('inclusion', error));
  }

  if (evidence.earlierCheckpoint !== null) {
    try {
      const earlier = verifyCheckpointUnderRoot(evidence.earlierCheckpoint, root, underRoot);
      verifyConsistencyProof(earlier.checkpoint, checkpoint, evidence.consistencyProof);
      verdicts.push({
        check: 'consistency',
        ok: true,
        detail: { from: earlier.checkpoint.size, to: checkpoint.size },
      });
    } catch (error) {
      verdicts.push(refusal('consistency', error));
    }
  }
  return report();
}

const api = { fetchEvidence, verify };
export type MatrizVerifier = typeof api;
(globalThis as { matrizVerifier?: MatrizVerifier }).matrizVerifier = api;
