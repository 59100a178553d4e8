import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js';
import type { CheckpointSigner, CheckpointVerifier } from '../../src/log/index.js';

/**
 * Real log keys for tests: Ed25519 from node:crypto and ML-DSA-44 from @noble/post-quantum,
 * independent of the project's own crypto layer so the log is tested against outside code.
 */
export function testLogKeys(name: string): {
  signer: CheckpointSigner;
  verifier: CheckpointVerifier;
} {
  const ed = generateKeyPairSync('ed25519');
  const edPublic = new Uint8Array(
    Buffer.from(ed.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url'),
  );
  const ml = ml_dsa44.keygen(crypto.getRandomValues(new Uint8Array(32)));
  const edVerifier = {
    verify: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) =>
      verify(
        null,
        message,
        createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
          format: 'jwk',
        }),
        signature,
      ),
  };
  const mlVerifier = {
    verify: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) =>
      ml_dsa44.verify(signature, message, publicKey),
  };
  return {
    signer: {
      name,
      ed25519: {
        publicKey: edPublic,
        sign: (message) => new Uint8Array(sign(null, message, ed.privateKey)),
      },
      mlDsa44: { publicKey: ml.publicKey, sign: (message) => ml_dsa44.sign(message, ml.secretKey) },
    },
    verifier: {
      name,
      ed25519PublicKey: edPublic,
      mlDsa44PublicKey: ml.publicKey,
      ed25519: edVerifier,
      mlDsa44: mlVerifier,
    },
  };
}
