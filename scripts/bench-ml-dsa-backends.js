#!/usr/bin/env node
// ML-DSA sign and verify throughput of every backend this Node.js has (noble, liboqs, and
// node:crypto where it offers ML-DSA), in one run, so the backends compare on the same machine
// at the same load. Runs on the built package: `npm run build` first.
//
//   node scripts/bench-ml-dsa-backends.js [--seconds 2] [--json]
//
// Each row: ops/s of single calls over the given wall time (1 KiB message, empty context).
import { performance } from 'node:perf_hooks';
import { liboqsSuite } from '../dist/src/crypto/backends/liboqs.js';
import { nobleSuite } from '../dist/src/crypto/backends/noble.js';
import { nodeMlDsaSuite } from '../dist/src/crypto/backends/node-ml-dsa.js';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] || 2) || 2;
const json = args.includes('--json');
const message = new Uint8Array(1024).fill(0x6d);

function opsPerSecond(operation) {
  operation();
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    operation();
    count++;
  }
  return Math.round((count * 1000) / (performance.now() - start));
}

const rows = [];
for (const alg of ['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87']) {
  const noble = nobleSuite(alg);
  const suites = [noble, await liboqsSuite(alg)];
  const node = await nodeMlDsaSuite(alg, noble).catch(() => undefined);
  if (node) suites.push(node);
  const { publicKey, secretKey } = noble.generateKeyPair(new Uint8Array(32));
  for (const suite of suites) {
    const signature = suite.sign(message, secretKey);
    rows.push({
      alg,
      backend: suite.backend,
      sign_ops_per_sec: opsPerSecond(() => suite.sign(message, secretKey)),
      verify_ops_per_sec: opsPerSecond(() => suite.verify(signature, message, publicKey)),
    });
  }
}
const environment = { node: process.version, openssl: process.versions.openssl, seconds };
if (json) console.log(JSON.stringify({ environment, rows }));
else {
  console.log(`Node.js ${environment.node}, OpenSSL ${environment.openssl}, ${seconds} s per row`);
  for (const r of rows)
    console.log(
      `${r.alg.padEnd(10)} ${r.backend.padEnd(7)} sign ${String(r.sign_ops_per_sec).padStart(6)}/s  verify ${String(r.verify_ops_per_sec).padStart(6)}/s`,
    );
}
