import { RegistryProblem } from '../../src/registry/problems.js';
import type { KeyAlgorithm } from '../../src/crypto/algorithms.js';
import { pae, signerFor } from '../../src/crypto/dsse.js';
import { base64Encode } from '../../src/crypto/encoding.js';
import { ownerId, publicKeyOf, type PublicKey } from '../../src/crypto/keys.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import type { CheckpointSigner, CheckpointVerifier } from '../../src/log/checkpoint-signature.js';
import type { NodeSpec } from '../../src/nodespec/nodespec.js';
import type { EntitlementPolicy } from '../../src/registry/policy.js';
import { Registry } from '../../src/registry/registry.js';
import { buildWriteRequest, type WriteOperation } from '../../src/registry/request-builder.js';
import { Sequencer } from '../../src/registry/sequencer.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { example } from './examples.js';

export const ORIGIN = 'registry.test/matriz';

/** Real log keys from the project's own suites, as `matriz serve` makes them. */
export async function logKeys(origin = ORIGIN): Promise<{
  signer: CheckpointSigner;
  verifier: CheckpointVerifier;
  ed25519: PublicKey;
  mlDsa44: PublicKey;
}> {
  const [ed, ml] = await Promise.all([
    loadSignatureSuite('ed25519'),
    loadSignatureSuite('ml-dsa-44'),
  ]);
  const edPair = ed.generateKeyPair();
  const mlPair = ml.generateKeyPair();
  return {
    signer: {
      name: origin,
      ed25519: { publicKey: edPair.publicKey, sign: (m) => ed.sign(m, edPair.secretKey) },
      mlDsa44: { publicKey: mlPair.publicKey, sign: (m) => ml.sign(m, mlPair.secretKey) },
    },
    verifier: {
      name: origin,
      ed25519PublicKey: edPair.publicKey,
      mlDsa44PublicKey: mlPair.publicKey,
      ed25519: ed,
      mlDsa44: ml,
    },
    ed25519: publicKeyOf('ed25519', edPair.publicKey),
    mlDsa44: publicKeyOf('ml-dsa-44', mlPair.publicKey),
  };
}

export interface Owner {
  readonly key: PublicKey;
  /** The owner's secret key (tests that check it never leaks, e.g. into logs). */
  readonly secretKey: Uint8Array;
  readonly ownerId: string;
  request(operation: WriteOperation, options?: { origin?: string; now?: number }): unknown;
  /** An example NodeSpec owned by this owner, in a lane/tier anyone may claim by default. */
  spec(name?: string, version?: string): NodeSpec;
  /**
   * `envelope` with `payload` replaced by these bytes and a valid owner signature over them: for
   * cases where what must be refused is the payload itself, not its signature.
   */
  resign(
    envelope: { payloadType: string },
    payload: Uint8Array,
  ): { payload: string; payloadType: string; signatures: { keyid: string; sig: string }[] };
}

export async function makeOwner(algorithm: KeyAlgorithm = 'ml-dsa-44'): Promise<Owner> {
  const suite = await loadSignatureSuite(algorithm);
  const pair = suite.generateKeyPair();
  const key = publicKeyOf(algorithm, pair.publicKey);
  const signer = signerFor(key, pair.secretKey, suite);
  const id = ownerId(key.keyid);
  return {
    key,
    secretKey: pair.secretKey,
    ownerId: id,
    request: (operation, options = {}) =>
      JSON.parse(
        JSON.stringify(
          buildWriteRequest(operation, {
            owner: key,
            signer,
            origin: options.origin ?? ORIGIN,
            ...(options.now === undefined ? {} : { now: options.now }),
          }),
        ),
      ) as unknown,
    resign: (envelope, payload) => ({
      payload: base64Encode(payload),
      payloadType: envelope.payloadType,
      signatures: [
        {
          keyid: signer.keyid,
          sig: base64Encode(signer.sign(pae(envelope.payloadType, payload))),
        },
      ],
    }),
    spec: (name = 'memoria_adapter_v1', version = '0.1.0') => {
      const spec = example('memory_adapter.json') as NodeSpec;
      spec.metadata.name = name;
      spec.metadata.version = version;
      spec.identity.owner_id = id;
      spec.identity.lane = 'candidate';
      spec.identity.tier = 2;
      return spec;
    },
  };
}

export interface TestRegistry {
  readonly registry: Registry;
  readonly store: Store;
  readonly sequencer: Sequencer;
  readonly keys: Awaited<ReturnType<typeof logKeys>>;
}

export async function makeRegistry(
  options: {
    store?: Store;
    policy?: EntitlementPolicy;
    maxDelayMs?: number;
    clock?: () => number;
    /** The log keys of an earlier registry on the same store (a restart); default new keys. */
    keys?: TestRegistry['keys'];
  } = {},
): Promise<TestRegistry> {
  const store = options.store ?? openSqliteStore({ path: ':memory:' });
  const keys = options.keys ?? (await logKeys());
  const sequencer = new Sequencer(store, {
    origin: ORIGIN,
    signer: keys.signer,
    freshnessSeconds: 300,
    maxDelayMs: options.maxDelayMs ?? 5,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await sequencer.start();
  const registry = new Registry({
    origin: ORIGIN,
    store,
    sequencer,
    logKeys: { ed25519: keys.ed25519, mlDsa44: keys.mlDsa44 },
    loadSuite: (algorithm) => loadSignatureSuite(algorithm),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { registry, store, sequencer, keys };
}

/** The RegistryProblem `promise` rejects with; fails the test if it resolves or throws another error. */
export async function refusal(promise: Promise<unknown>): Promise<RegistryProblem> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RegistryProblem) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}
