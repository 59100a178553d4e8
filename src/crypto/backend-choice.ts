/**
 * Choosing among backends that all passed their start-up self-test: the one that signs and
 * verifies fastest here, measured when the suite loads, not guessed from a version number
 * (WebAssembly and OpenSSL trade places with the CPU, the Node.js release and the load).
 */
import type { SignatureAlgorithm } from './algorithms.js';
import type { SignatureSuite } from './suite.js';

/** Timed rounds per candidate after one warm-up; the median of the rounds is compared. */
const ROUNDS = 5;
const MESSAGE = new Uint8Array(1024).fill(0x6d);

/** One choice this process made: the candidates' median sign + verify time, in milliseconds. */
export interface BackendChoice {
  readonly algorithm: SignatureAlgorithm;
  readonly chosen: string;
  readonly milliseconds: Readonly<Record<string, number>>;
}

const choices = new Map<SignatureAlgorithm, BackendChoice>();

/** The choices made so far in this process, one per algorithm that had more than one candidate. */
export function backendChoices(): BackendChoice[] {
  return [...choices.values()];
}

/**
 * The fastest of `candidates` (all for `algorithm`, all self-tested) at signing and verifying a
 * 1 KiB message. Rounds interleave the candidates so a burst of load hits all of them.
 */
export function fastestSuite(
  algorithm: SignatureAlgorithm,
  candidates: readonly SignatureSuite[],
): SignatureSuite {
  const [first] = candidates;
  if (first === undefined) throw new Error('fastestSuite needs at least one candidate');
  if (candidates.length === 1) return first;
  const { publicKey, secretKey } = first.generateKeyPair(new Uint8Array(first.lengths.seed));
  const signAndVerify = (suite: SignatureSuite): number => {
    const start = performance.now();
    suite.verify(suite.sign(MESSAGE, secretKey), MESSAGE, publicKey);
    return performance.now() - start;
  };
  candidates.forEach(signAndVerify);
  const samples = candidates.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++)
    candidates.forEach((suite, i) => samples[i]?.push(signAndVerify(suite)));
  const medians = samples.map((times) => times.sort((a, b) => a - b)[ROUNDS >> 1] ?? Infinity);
  const best = medians.indexOf(Math.min(...medians));
  const chosen = candidates[best] ?? first;
  choices.set(algorithm, {
    algorithm,
    chosen: chosen.backend,
    milliseconds: Object.fromEntries(
      candidates.map((suite, i) => [suite.backend, medians[i] ?? 0]),
    ),
  });
  return chosen;
}
