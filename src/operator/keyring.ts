/**
 * The secret keys of a data directory beyond the first log key pair, and which of them sign
 * what (docs/security.md):
 *
 *   keys/log-ed25519.json, keys/log-ml-dsa-44.json        the first log key (pair)
 *   keys/log-<n>-ed25519.json, keys/log-<n>-ml-dsa-44.json log key generation n (rotation)
 *   keys/root-<n>.json, keys/enrolment-<n>.json, keys/revocation-<n>.json   role keys
 *
 * A log key is the pair that signs a checkpoint's Ed25519 line and ML-DSA-44 line; the trust
 * root lists it as one `hybrid-ml-dsa-44-ed25519` key. Public parts are read without any
 * passphrase; secret keys are opened through the KeyProvider only when they are about to sign.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { concatBytes, base64Decode } from '../crypto/encoding.js';
import { publicKeyOf, type PublicKey } from '../crypto/keys.js';
import type { EnvelopeSigner } from '../crypto/dsse.js';
import { signerFor } from '../crypto/dsse.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import type { KeyProvider, OpenedKey } from '../keystore/key-provider.js';
import { readSecretKeyFile } from '../keystore/key-file.js';
import type { ScryptParameters } from '../keystore/secret-key-file.js';
import type { CheckpointSigner } from '../log/checkpoint-signature.js';
import type { TrustLedger } from '../registry/trust-ledger.js';
import { LOG_KEY_ALGORITHM, logKeyOf, type TrustRole } from '../trust/trust-root.js';

/** A log key pair on disk, by the file names of its halves. */
export interface LogKeyFiles {
  readonly generation: number;
  readonly ed25519File: string;
  readonly mlDsa44File: string;
  /** The pair as the trust root lists it. */
  readonly key: PublicKey;
}

export interface RoleKeyFile {
  readonly role: TrustRole;
  readonly file: string;
  readonly key: PublicKey;
}

const LOG_FILE = /^log(?:-(\d+))?-ed25519\.json$/;
const ROLE_FILE = /^(root|enrolment|revocation)-(\d+)\.json$/;

/** Default algorithms of new role keys: the long-lived root key at the higher security level. */
export const ROLE_KEY_ALGORITHMS: Readonly<Record<Exclude<TrustRole, 'log'>, KeyAlgorithm>> = {
  root: 'ml-dsa-65',
  enrolment: 'ml-dsa-44',
  revocation: 'ml-dsa-44',
};

export class Keyring {
  /** The log key files last scanned; rescanned when a root names a key not among them. */
  private scanned: LogKeyFiles[] | undefined;

  constructor(
    readonly dataDir: string,
    readonly origin: string,
    private readonly provider: KeyProvider,
    private readonly scrypt?: ScryptParameters,
  ) {}

  private get keysDir(): string {
    return path.join(this.dataDir, 'keys');
  }

  /** Every log key pair in the data directory, oldest first. */
  async logKeyFiles(): Promise<LogKeyFiles[]> {
    const found: LogKeyFiles[] = [];
    for (const name of await readdir(this.keysDir)) {
      const match = LOG_FILE.exec(name);
      if (!match) continue;
      const generation = match[1] === undefined ? 1 : Number(match[1]);
      const base = generation === 1 ? 'log' : `log-${generation}`;
      const ed25519File = path.join(this.keysDir, `${base}-ed25519.json`);
      const mlDsa44File = path.join(this.keysDir, `${base}-ml-dsa-44.json`);
      const [ed, ml] = await Promise.all([
        readSecretKeyFile(ed25519File),
        readSecretKeyFile(mlDsa44File),
      ]);
      found.push({
        generation,
        ed25519File,
        mlDsa44File,
        key: logKeyOf(base64Decode(ml.public_key), base64Decode(ed.public_key)),
      });
    }
    return found.sort((a, b) => a.generation - b.generation);
  }

  /** Generates the next log key pair (both halves encrypted, 0600) and returns its files. */
  async createLogKey(): Promise<LogKeyFiles> {
    const existing = await this.logKeyFiles();
    const generation = Math.max(0, ...existing.map((k) => k.generation)) + 1;
    const base = generation === 1 ? 'log' : `log-${generation}`;
    const options = this.scrypt ? { scrypt: this.scrypt } : {};
    await this.provider.createKey(
      path.join(this.keysDir, `${base}-ed25519.json`),
      'ed25519',
      `${base}-ed25519`,
      options,
    );
    await this.provider.createKey(
      path.join(this.keysDir, `${base}-ml-dsa-44.json`),
      'ml-dsa-44',
      `${base}-ml-dsa-44`,
      options,
    );
    const created = (await this.logKeyFiles()).find((k) => k.generation === generation);
    if (!created) throw new Error(`log key generation ${generation} was not written`);
    return created;
  }

  /** The checkpoint signer of a log key pair (opens both secret keys). */
  async checkpointSigner(files: LogKeyFiles): Promise<CheckpointSigner> {
    const [ed, ml] = await this.openPair(files);
    return {
      name: this.origin,
      ed25519: {
        publicKey: ed.key.publicKey,
        sign: (message) => ed.suite.sign(message, ed.secretKey),
      },
      mlDsa44: {
        publicKey: ml.key.publicKey,
        sign: (message) => ml.suite.sign(message, ml.secretKey),
      },
    };
  }

  /** A DSSE signer for the log key as one hybrid key (log rotation records). */
  async hybridSigner(files: LogKeyFiles): Promise<EnvelopeSigner> {
    const [ed, ml] = await this.openPair(files);
    const suite = await loadSignatureSuite(LOG_KEY_ALGORITHM);
    return signerFor(files.key, concatBytes(ml.secretKey, ed.secretKey), suite);
  }

  /**
   * The signers of a checkpoint after a batch that leaves the trust state at `ledger`: every log
   * key of the newest root's log role that is not revoked and whose key files are here. Refuses
   * when they cannot meet the role's threshold: a checkpoint clients would refuse is never made.
   */
  readonly checkpointSigners = async (ledger: TrustLedger): Promise<CheckpointSigner[]> => {
    const root = ledger.root;
    let files = this.scanned ?? (await this.logKeyFiles());
    if (root?.roles.log.keyids.some((keyid) => !files.some((f) => f.key.keyid === keyid)))
      files = await this.logKeyFiles();
    this.scanned = files;
    if (root === undefined) {
      const first = files.find((f) => f.generation === 1);
      if (!first) throw new Error(`no log key in ${this.keysDir}`);
      return [await this.checkpointSigner(first)];
    }
    const usable = files.filter(
      (f) => root.roles.log.keyids.includes(f.key.keyid) && !ledger.revocation(f.key.keyid),
    );
    if (usable.length < root.roles.log.threshold)
      throw new Error(
        `trust root v${root.version} needs ${root.roles.log.threshold} log key(s) to sign a checkpoint; ${this.keysDir} holds ${usable.length} of its unrevoked log keys`,
      );
    return Promise.all(usable.map((f) => this.checkpointSigner(f)));
  };

  /** Role key files (root, enrolment, revocation) in the data directory. */
  async roleKeyFiles(role?: Exclude<TrustRole, 'log'>): Promise<RoleKeyFile[]> {
    const found: RoleKeyFile[] = [];
    for (const name of (await readdir(this.keysDir)).sort()) {
      const match = ROLE_FILE.exec(name);
      if (!match || (role !== undefined && match[1] !== role)) continue;
      const file = path.join(this.keysDir, name);
      const contents = await readSecretKeyFile(file);
      found.push({
        role: match[1] as TrustRole,
        file,
        key: publicKeyOf(contents.alg, base64Decode(contents.public_key)),
      });
    }
    return found;
  }

  /** Generates a role key `keys/<role>-<n>.json` (encrypted, 0600). */
  async createRoleKey(role: Exclude<TrustRole, 'log'>): Promise<RoleKeyFile> {
    const taken = new Set((await this.roleKeyFiles(role)).map((k) => k.file));
    let n = 1;
    while (taken.has(path.join(this.keysDir, `${role}-${n}.json`))) n++;
    const file = path.join(this.keysDir, `${role}-${n}.json`);
    await this.provider.createKey(
      file,
      ROLE_KEY_ALGORITHMS[role],
      role,
      this.scrypt ? { scrypt: this.scrypt } : {},
    );
    const created = (await this.roleKeyFiles(role)).find((k) => k.file === file);
    if (!created) throw new Error(`${file} was not written`);
    return created;
  }

  /**
   * DSSE signers for the keys of `keyids` found among this data directory's role key files
   * and `extraFiles` (keys kept elsewhere, e.g. an offline root key given with --key).
   */
  async envelopeSigners(
    keyids: readonly string[],
    purpose: string,
    extraFiles: readonly string[] = [],
  ): Promise<EnvelopeSigner[]> {
    const candidates = [
      ...(await this.roleKeyFiles()).map((k) => k.file),
      ...extraFiles.map((f) => path.resolve(f)),
    ];
    const signers: EnvelopeSigner[] = [];
    const seen = new Set<string>();
    for (const file of candidates) {
      const contents = await readSecretKeyFile(file);
      const key = publicKeyOf(contents.alg, base64Decode(contents.public_key));
      if (!keyids.includes(key.keyid) || seen.has(key.keyid)) continue;
      seen.add(key.keyid);
      const opened = await this.provider.openKey(file, purpose);
      signers.push(signerFor(opened.key, opened.secretKey, opened.suite));
    }
    return signers;
  }

  private openPair(files: LogKeyFiles): Promise<[OpenedKey, OpenedKey]> {
    const base = files.generation === 1 ? 'log' : `log-${files.generation}`;
    return Promise.all([
      this.provider.openKey(files.ed25519File, `${base}-ed25519`),
      this.provider.openKey(files.mlDsa44File, `${base}-ml-dsa-44`),
    ]);
  }
}
