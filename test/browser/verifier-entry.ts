/**
 * The browser side of test/browser/verifier.test.ts: a verifier built ONLY from the pure layers
 * (src/trust, src/log, src/crypto), bundled by esbuild for `platform: 'browser'` and run in a
 * real Chromium. `globalThis.matrizVerifier` fetches the evidence from the page's origin (a
 * loopback pass-through to a real `matriz serve`) and turns it into verdict rows.
 */
import type { BackendPreference } from '../../src/crypto/suites.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { base64Decode } from '../../src/crypto/encoding.js';
import {
  leafHash,
  parseCheckpoint,
  parseNote,
  verifyConsistency,
  verifyInclusion,
} from '../../src/log/index.js';
import {
  verifyCheckpoint,
  verifyRevocationList,
  verifyRootChain,
  verifyRootSelfSigned,
  type RevocationList,
  type SuiteLoader,
  type TrustRoot,
} from '../../src/trust/index.js';

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
  const newestVersion = (
    JSON.parse(new TextDecoder().decode(base64Decode(newest.payload))) as { version: number }
  ).version;
  const roots: unknown[] = [];
  for (let version = 1; version <= newestVersion; version++)
    roots.push(await fetchJson(`/api/v1/trust/root/${version}`));
  const revocationsResponse = await fetch('/api/v1/trust/revocations');
  const revocations = revocationsResponse.ok ? await revocationsResponse.json() : null;
  const checkpoint = await (await fetchOk('/api/v1/log/checkpoint')).text();
  const size = parseCheckpoint(parseNote(checkpoint).text).size;
  const leaf = new Uint8Array(
    await (await fetchOk(`/api/v1/log/entries/${input.leafIndex}`)).arrayBuffer(),
  );
  const inclusionProof = await fetchProof(
    `/api/v1/log/proof/inclusion?index=${input.leafIndex}&size=${size}`,
  );
  const earlierSize =
    input.earlierCheckpoint === null
      ? undefined
      : parseCheckpoint(parseNote(input.earlierCheckpoint).text).size;
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

const hashes = (b64: readonly string[]): Uint8Array[] => b64.map((h) => base64Decode(h, 'hash'));

/**
 * Verifies `evidence` as a client pinned at roots[0] would: the pinned root self-signed, the
 * chain to the newest root, the revocation list under it, the checkpoint under it, the leaf's
 * inclusion and the earlier checkpoint's consistency. Every step yields a verdict row; a refused
 * step stops the steps that depend on it.
 */
async function verify(evidence: Evidence, options: VerifyOptions = {}): Promise<Report> {
  const backend = options.backend ?? 'auto';
  const now = options.now === undefined ? new Date() : new Date(options.now);
  const loader: SuiteLoader = (algorithm) => loadSignatureSuite(algorithm, backend);
  const [ed25519, mlDsa44] = await Promise.all([loader('ed25519'), loader('ml-dsa-44')]);
  const verdicts: Verdict[] = [];
  const report = (): Report => ({
    verdicts,
    backends: { ed25519: ed25519.backend, 'ml-dsa-44': mlDsa44.backend },
    nodeGlobals: {
      process: typeof (globalThis as { process?: unknown }).process !== 'undefined',
      buffer: typeof (globalThis as { Buffer?: unknown }).Buffer !== 'undefined',
    },
  });

  let pinned: TrustRoot;
  try {
    pinned = await verifyRootSelfSigned(evidence.roots[0], loader);
    verdicts.push({ check: 'pinned-root', ok: true, detail: { version: pinned.version } });
  } catch (error) {
    verdicts.push(refusal('pinned-root', error));
    return report();
  }

  let root = pinned;
  try {
    const chain = await verifyRootChain(pinned, evidence.roots.slice(1), now, loader);
    root = chain.at(-1) ?? pinned;
    verdicts.push({
      check: 'root-chain',
      ok: true,
      detail: { versions: [pinned.version, ...chain.map((r) => r.version)] },
    });
  } catch (error) {
    verdicts.push(refusal('root-chain', error));
    return report();
  }

  let revocations: RevocationList | undefined;
  if (evidence.revocations !== null) {
    try {
      revocations = await verifyRevocationList(evidence.revocations, root, loader);
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

  const suites = { ed25519, mlDsa44 };
  let checkpoint;
  try {
    checkpoint = verifyCheckpoint(evidence.checkpoint, root, revocations, suites).checkpoint;
    verdicts.push({
      check: 'checkpoint',
      ok: true,
      detail: { size: checkpoint.size, rootVersion: root.version },
    });
  } catch (error) {
    verdicts.push(refusal('checkpoint', error));
    return report();
  }

  const leaf = base64Decode(evidence.leafB64, 'leaf');
  const included = verifyInclusion(
    evidence.leafIndex,
    checkpoint.size,
    leafHash(leaf),
    hashes(evidence.inclusionProof),
    checkpoint.rootHash,
  );
  verdicts.push(
    included
      ? { check: 'inclusion', ok: true, detail: { index: evidence.leafIndex } }
      : {
          check: 'inclusion',
          ok: false,
          code: 'inclusion-mismatch',
          message: `the inclusion proof does not put leaf ${evidence.leafIndex} in the tree of size ${checkpoint.size}`,
        },
  );

  if (evidence.earlierCheckpoint !== null) {
    try {
      const earlier = verifyCheckpoint(evidence.earlierCheckpoint, root, revocations, suites);
      const consistent = verifyConsistency(
        earlier.checkpoint.size,
        checkpoint.size,
        earlier.checkpoint.rootHash,
        checkpoint.rootHash,
        hashes(evidence.consistencyProof),
      );
      verdicts.push(
        consistent
          ? {
              check: 'consistency',
              ok: true,
              detail: { from: earlier.checkpoint.size, to: checkpoint.size },
            }
          : {
              check: 'consistency',
              ok: false,
              code: 'consistency-mismatch',
              message: `the tree of size ${earlier.checkpoint.size} is not shown to be a prefix of the tree of size ${checkpoint.size}`,
            },
      );
    } catch (error) {
      verdicts.push(refusal('consistency', error));
    }
  }
  return report();
}

const api = { fetchEvidence, verify };
export type MatrizVerifier = typeof api;
(globalThis as { matrizVerifier?: MatrizVerifier }).matrizVerifier = api;
