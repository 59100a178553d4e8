import { signerFor } from '../../src/crypto/dsse.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { buildTrustRoot, logKeyOf } from '../../src/trust/trust-root.js';
import { ORIGIN, type logKeys } from './registry.js';

/** A trust root v1 whose log key is the test registry's, with one ML-DSA-44 key for each other role. */
export async function trustRootFor(keys: Awaited<ReturnType<typeof logKeys>>, now = Date.now()) {
  const suite = await loadSignatureSuite('ml-dsa-44');
  const role = () => {
    const pair = suite.generateKeyPair();
    const key = publicKeyOf('ml-dsa-44', pair.publicKey);
    return { key, signer: signerFor(key, pair.secretKey, suite) };
  };
  const [root, enrolment, revocation] = [role(), role(), role()];
  const log = logKeyOf(keys.mlDsa44.publicKey, keys.ed25519.publicKey);
  const envelope = buildTrustRoot(
    {
      origin: ORIGIN,
      version: 1,
      expires: new Date(now + 86_400_000),
      keys: [root.key, log, enrolment.key, revocation.key],
      roles: {
        root: { keyids: [root.key.keyid], threshold: 1 },
        log: { keyids: [log.keyid], threshold: 1 },
        enrolment: { keyids: [enrolment.key.keyid], threshold: 1 },
        revocation: { keyids: [revocation.key.keyid], threshold: 1 },
      },
    },
    [root.signer],
  );
  return { envelope, enrolment, revocation };
}
