/**
 * The start-up self-test (FIPS 140-3 style known-answer tests): before a suite signs anything in
 * a process, it must reproduce a known key pair from a known seed, a known signature, accept that
 * signature and reject it with one bit flipped, and accept a fresh signature made the way
 * production signs (hedged, no chosen randomness: the path a backend that cannot take chosen
 * randomness, node:crypto, hands to no one else). A backend that fails is never used to sign.
 *
 * Where the numbers come from:
 * - ML-DSA key pairs: NIST ACVP ML-DSA-keyGen-FIPS204 (vsId 42), first test of each group
 *   (tcId 1, 26, 51); the digest is SHA-256 of the expected `pk`.
 * - ML-DSA signatures: deterministic ML-DSA.Sign (FIPS 204, Algorithm 2 with rnd = 0^32, empty
 *   context) of `MESSAGE` with that key; recorded after the two backends (noble, liboqs), each
 *   passing every ACVP vector, produced the same bytes.
 * - Falcon: round-3 KAT entry 0, with the NIST KAT DRBG's outputs for the keygen seed and the
 *   signing nonce and sampler seed; digests of the KAT's `pk` and of its signature (detached form).
 * - Ed25519: RFC 8032, section 7.1, TEST 1.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { SignatureAlgorithm } from './algorithms.js';
import { fixedRandom } from './random.js';
import { utf8 } from './encoding.js';
import type { SignatureSuite } from './suite.js';

interface KnownAnswer {
  readonly seed: string;
  readonly message: Uint8Array;
  /** Signing randomness, consumed in order. */
  readonly random: string;
  readonly publicKeySha256: string;
  readonly signatureSha256: string;
}

const MESSAGE = utf8('MATRIZ start-up self-test');
const ZERO_RND = '00'.repeat(32);
const FALCON_KEYGEN =
  '7c9935a0b07694aa0c6d10e4db6b1add2fd81a25ccb148032dcd739936737f2db505d7cfad1b497499323c8686325e47';
const FALCON_SIGN =
  '33b3c07507e4201748494d832b6ee2a6c93bff9b0ee343b550d1f85a3d0de0d704c6d17842951309c4731c3819f29b78' +
  '474da5eaa38b5e98b253547d766cf23d50e88731c01ca6e1186cf7504e36ae12b4e9e814c06e68eb';
const FALCON_MESSAGE = hexToBytes(
  'd81c4d8d734fcbfbeade3d3f8a039faa2a2c9957e835ad55b22e75bf57bb556ac8',
);

export const KNOWN_ANSWERS: Readonly<Record<SignatureAlgorithm, KnownAnswer>> = {
  'ml-dsa-44': {
    seed: '7194b13c95231010afd2c909992bd2003ba6f437c3886bdbe3f6b867a14ba161',
    message: MESSAGE,
    random: ZERO_RND,
    publicKeySha256: '838b88b6ac41e2c60698173e08ca173d0b0d2839205806e56a8a3d53195f3a03',
    signatureSha256: 'af1f19a81cbf37cc90240184058595f7f625cae07bc7bf616b9916f11f3b5fc2',
  },
  'ml-dsa-65': {
    seed: 'a991fd42b071d49c48ae3e75c647459e0daad1e1ba356a04801912d3294bcff8',
    message: MESSAGE,
    random: ZERO_RND,
    publicKeySha256: 'b1a7d0d2f0d7a04b9d5ffccd9bd578864dab4a01cdd7f70a05cd1f4f0672e43a',
    signatureSha256: '03eeb7b61b983e3844096982f9b4739650c21996afddc11c8da4785cec64e5a9',
  },
  'ml-dsa-87': {
    seed: 'a16f5b0796703e2d1a0140a35cbf36efabe70e752ba59b6a9a0e9c4b05302f73',
    message: MESSAGE,
    random: ZERO_RND,
    publicKeySha256: '33f49649f05ec2fc3b050007b18ade043bbc8d1c0ded03a269d540486daaa5f4',
    signatureSha256: '83670ed896d600962fe15defa88f7c97348be5021cb215eaf4ad467b29af2b93',
  },
  'falcon-512': {
    seed: FALCON_KEYGEN,
    message: FALCON_MESSAGE,
    random: FALCON_SIGN,
    publicKeySha256: 'e74cb05c857846d8c768a2d3a2461d589482e770461fdbbe9e2e9dc6415e2daf',
    signatureSha256: 'd8f9b987b83162a5d7f9a388e1d2b6d8ec9563cb5055c2d086fbe7f31ff34b50',
  },
  'falcon-1024': {
    seed: FALCON_KEYGEN,
    message: FALCON_MESSAGE,
    random: FALCON_SIGN,
    publicKeySha256: 'f392083048bb1bc08d77ef3782dd114154480adebbf5ee0c3853816cba0a7341',
    signatureSha256: '927c8cc93d4cc0d618e918b9c07099ec009775a4c28ab69f05248b60198dd0e9',
  },
  ed25519: {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    message: new Uint8Array(0),
    random: '',
    publicKeySha256: bytesToHex(
      sha256(hexToBytes('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')),
    ),
    signatureSha256: bytesToHex(
      sha256(
        hexToBytes(
          'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
        ),
      ),
    ),
  },
};

export interface SelfTestResult {
  readonly ok: boolean;
  /** What failed, for the error message; empty when `ok`. */
  readonly failures: readonly string[];
}

/** Runs the known-answer self-test of a single-algorithm suite. Never throws. */
export function runSelfTest(suite: SignatureSuite, algorithm: SignatureAlgorithm): SelfTestResult {
  const answer = KNOWN_ANSWERS[algorithm];
  const failures: string[] = [];
  try {
    const keys = suite.generateKeyPair(hexToBytes(answer.seed));
    if (bytesToHex(sha256(keys.publicKey)) !== answer.publicKeySha256)
      failures.push('key generation from a known seed gave the wrong public key');
    const options = answer.random ? { random: fixedRandom(hexToBytes(answer.random)) } : {};
    const signature = suite.sign(answer.message, keys.secretKey, options);
    if (bytesToHex(sha256(signature)) !== answer.signatureSha256)
      failures.push('signing a known message gave the wrong signature');
    if (!suite.verify(signature, answer.message, keys.publicKey))
      failures.push('a known-good signature did not verify');
    const tampered = Uint8Array.from(signature);
    tampered[tampered.length >> 1] = (tampered[tampered.length >> 1] ?? 0) ^ 1;
    if (suite.verify(tampered, answer.message, keys.publicKey))
      failures.push('a signature with one bit flipped verified');
    const fresh = suite.sign(answer.message, keys.secretKey);
    if (!suite.verify(fresh, answer.message, keys.publicKey))
      failures.push('a freshly made signature did not verify');
  } catch (error) {
    failures.push(`threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { ok: failures.length === 0, failures };
}
