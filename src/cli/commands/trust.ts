/**
 * `matriz trust init|show|draft|sign|verify|publish` (docs/security.md): the trust root of a
 * registry. Commands that change the log act on the server's storage through --data-dir (and
 * --database-url for PostgreSQL), also while the server runs.
 *
 * Exit codes: 0 done, 1 refused (the document does not pass the trust checks), 2 usage or I/O.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import {
  RegistryHttp,
  RegistryRequestError,
  RegistryUnavailableError,
} from '../../client/http-client.js';
import { publicKeyFromJson } from '../../crypto/keys.js';
import { PAYLOAD_TYPES } from '../../crypto/payload-types.js';
import { loadSignatureSuite } from '../../crypto/suites.js';
import { signerFor } from '../../crypto/dsse.js';
import { passphraseKeyProvider } from '../../keystore/key-provider.js';
import { passphraseToOpen } from '../../keystore/passphrase.js';
import { canonicalize } from '../../json/canonicalize.js';
import { TrustError } from '../../trust/errors.js';
import { addSignature, readEnvelope } from '../../trust/signatures.js';
import { draftNextRoot } from '../../trust/draft.js';
import {
  peekTrustRoot,
  TRUST_ROLES,
  verifyRootChain,
  verifyRootSelfSigned,
  type TrustRole,
  type TrustRoot,
} from '../../trust/trust-root.js';
import { passphraseEnvOption, passphraseSource, withKeyErrors } from '../crypto-context.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError } from '../exit-codes.js';
import { readJsonFile } from '../inputs.js';
import type { CliIo } from '../io.js';
import { positiveInteger } from '../options.js';
import {
  type SetExitCode,
  type StorageOptions,
  storageOptions,
  expiresOption,
  parseExpires,
  openReadOnly,
  withOperator,
  logged,
} from '../operator-storage.js';

export function describeRoot(root: TrustRoot): Record<string, unknown> {
  return {
    origin: root.origin,
    version: root.version,
    expires: root.expires,
    digest: root.digest,
    roles: Object.fromEntries(
      Object.entries(root.roles).map(([role, def]) => [
        role,
        {
          threshold: def.threshold,
          keys: def.keyids.map((keyid) => ({ keyid, alg: root.keys.get(keyid)?.algorithm })),
        },
      ]),
    ),
  };
}

function rootText(root: TrustRoot): string {
  const lines = [
    `trust root v${root.version} of ${root.origin}`,
    `expires   ${root.expires}`,
    `digest    ${root.digest}`,
  ];
  for (const [role, def] of Object.entries(root.roles)) {
    lines.push(`${role.padEnd(11)}${def.threshold} of ${def.keyids.length}`);
    for (const keyid of def.keyids)
      lines.push(`             ${keyid}  ${root.keys.get(keyid)?.algorithm ?? '?'}`);
  }
  return `${lines.join('\n')}\n`;
}

export function trustCommand(io: CliIo, setExitCode: SetExitCode): Command {
  const group = new Command('trust').description(
    "the log's signed trust root: keys, roles (root, log, enrolment, revocation), thresholds, expiry",
  );

  storageOptions(
    group
      .command('init')
      .description(
        'record trust root v1 in the log: new root, enrolment and revocation keys (encrypted, in the data directory) and the log key',
      ),
  )
    .addOption(expiresOption().default('365d'))
    .addOption(
      new Option('--root-keys <n>', 'number of root keys').argParser(positiveInteger).default(1),
    )
    .addOption(
      new Option('--root-threshold <n>', 'root keys needed to sign a new trust root')
        .argParser(positiveInteger)
        .default(1),
    )
    .action(
      async (opts: StorageOptions & { expires: string; rootKeys: number; rootThreshold: number }) =>
        withOperator(io, setExitCode, opts, async (operator) => {
          const { root, result } = await operator.trustInit({
            expires: parseExpires(opts.expires, Date.now()),
            rootKeys: opts.rootKeys,
            rootThreshold: opts.rootThreshold,
          });
          if (opts.json)
            io.stdout(`${JSON.stringify({ ...describeRoot(root), ...logged(result) })}\n`);
          else
            io.stdout(
              `${rootText(root)}recorded at log index ${result.index}. Publish it to clients out of band (matriz trust show --envelope) and keep the root key offline (docs/security.md).\n`,
            );
        }),
    );

  group
    .command('show')
    .description('print the newest trust root (or --version N) from a server or a data directory')
    .option('--server <url>', 'registry base URL')
    .option('--data-dir <dir>', 'data directory of a registry')
    .option('--database-url <url>', 'PostgreSQL connection string (with --data-dir)')
    .addOption(
      new Option('--root-version <n>', 'this version instead of the newest').argParser(
        positiveInteger,
      ),
    )
    .option('--envelope', 'print the signed envelope itself (to pin with --trust-root)', false)
    .option('--json', 'print one JSON object', false)
    .action(
      async (opts: {
        server?: string;
        dataDir?: string;
        databaseUrl?: string;
        rootVersion?: number;
        envelope: boolean;
        json: boolean;
      }) => {
        if ((opts.server === undefined) === (opts.dataDir === undefined))
          throw new UsageError('give exactly one of --server and --data-dir');
        let envelope: unknown;
        if (opts.server !== undefined) {
          envelope = await new RegistryHttp(opts.server, { env: io.env })
            .trustRoot(opts.rootVersion)
            .catch((error: unknown) => {
              if (
                error instanceof RegistryRequestError ||
                error instanceof RegistryUnavailableError
              )
                throw new UsageError(error.message);
              throw error;
            });
        } else {
          const operator = await openReadOnly({
            dataDir: path.resolve(io.cwd, opts.dataDir as string),
            ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
          });
          try {
            envelope = await operator.trustRootEnvelope(opts.rootVersion);
          } finally {
            await operator.close();
          }
        }
        if (envelope === undefined) {
          io.stderr(
            `matriz: no trust root${opts.rootVersion === undefined ? '' : ` version ${opts.rootVersion}`} (matriz trust init)\n`,
          );
          setExitCode(EXIT_FINDINGS);
          return;
        }
        const root = peekTrustRoot(envelope);
        if (opts.envelope) io.stdout(`${canonicalize(envelope)}\n`);
        else if (opts.json) io.stdout(`${JSON.stringify(describeRoot(root))}\n`);
        else io.stdout(rootText(root));
        setExitCode(EXIT_OK);
      },
    );

  group
    .command('draft')
    .description(
      'write the unsigned next trust root (N+1) with keys added or removed, thresholds or expiry changed; holders then sign it with trust sign, and trust publish records it',
    )
    .requiredOption('--data-dir <dir>', "the registry's data directory")
    .option('--database-url <url>', 'PostgreSQL connection string, when the server uses one')
    .option('--add-key <role=file...>', 'give the key in public key JSON file the role')
    .option('--remove-key <keyid...>', 'remove the key from every role')
    .option('--threshold <role=n...>', "set the role's threshold")
    .addOption(expiresOption())
    .option('--output <file>', 'write the draft here (mode 0644) instead of stdout')
    .action(
      async (opts: {
        dataDir: string;
        databaseUrl?: string;
        addKey?: string[];
        removeKey?: string[];
        threshold?: string[];
        expires?: string;
        output?: string;
      }) => {
        const add = await Promise.all(
          (opts.addKey ?? []).map(async (spec) => {
            const [role, file] = splitRole(spec, '--add-key');
            try {
              return { role, key: publicKeyFromJson(await readJsonFile(io, file), file) };
            } catch (error) {
              if (error instanceof UsageError) throw error;
              throw new UsageError((error as Error).message);
            }
          }),
        );
        const thresholds = Object.fromEntries(
          (opts.threshold ?? []).map((spec) => {
            const [role, n] = splitRole(spec, '--threshold');
            if (!/^[1-9]\d*$/.test(n))
              throw new UsageError(`--threshold ${spec}: the threshold must be a positive integer`);
            return [role, Number(n)];
          }),
        );
        const reader = await openReadOnly({
          dataDir: path.resolve(io.cwd, opts.dataDir),
          ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
        });
        let current: unknown;
        try {
          current = await reader.trustRootEnvelope();
        } finally {
          await reader.close();
        }
        if (current === undefined)
          throw new UsageError('this log has no trust root yet: run matriz trust init first');
        let draft;
        try {
          draft = draftNextRoot(peekTrustRoot(current), {
            add,
            remove: opts.removeKey ?? [],
            thresholds,
            ...(opts.expires === undefined
              ? {}
              : { expires: parseExpires(opts.expires, Date.now()) }),
          });
        } catch (error) {
          if (error instanceof TrustError) throw new UsageError(error.message);
          throw error;
        }
        const text = `${canonicalize(draft)}\n`;
        if (opts.output === undefined) io.stdout(text);
        else await writeFile(path.resolve(io.cwd, opts.output), text, { mode: 0o644 });
        setExitCode(EXIT_OK);
      },
    );

  group
    .command('sign')
    .description(
      'add your signature to a trust document envelope (multi-party or offline root signing); writes the envelope to --output or stdout',
    )
    .argument('<envelope>', 'DSSE envelope JSON file')
    .requiredOption('--key <file>', 'your secret key file (a root, enrolment or revocation key)')
    .option('--output <file>', 'write the signed envelope here (mode 0644) instead of stdout')
    .addOption(passphraseEnvOption())
    .action(async (file: string, opts: { key: string; output?: string; passphraseEnv: string }) => {
      const envelope = readEnvelopeOrUsage(await readJsonFile(io, file), file);
      const keyFile = path.resolve(io.cwd, opts.key);
      const signed = await withKeyErrors(async () => {
        const passphrase = await passphraseToOpen(
          passphraseSource(io, opts.passphraseEnv),
          keyFile,
        );
        const opened = await passphraseKeyProvider(passphrase).openKey(keyFile, 'signer');
        return addSignature(envelope, signerFor(opened.key, opened.secretKey, opened.suite));
      }).catch((error: unknown) => {
        if (error instanceof TrustError) throw new UsageError(error.message);
        throw error;
      });
      const text = `${canonicalize(signed)}\n`;
      if (opts.output === undefined) io.stdout(text);
      else await writeFile(path.resolve(io.cwd, opts.output), text, { mode: 0o644 });
      setExitCode(EXIT_OK);
    });

  group
    .command('verify')
    .description(
      'verify a chain of trust root files offline: the first self-signed (or --pinned), each next signed by the root keys of the one before and its own, the newest not expired',
    )
    .argument('<root...>', 'trust root envelope files, oldest first')
    .option('--pinned <file>', 'an already trusted root the chain starts from')
    .option('--json', 'print one JSON object', false)
    .action(async (files: string[], opts: { pinned?: string; json: boolean }) => {
      const envelopes = await Promise.all(files.map((f) => readJsonFile(io, f)));
      try {
        const suites = (algorithm: Parameters<typeof loadSignatureSuite>[0]) =>
          loadSignatureSuite(algorithm);
        let start: TrustRoot;
        let rest: unknown[];
        if (opts.pinned !== undefined) {
          start = peekTrustRoot(await readJsonFile(io, opts.pinned));
          rest = envelopes;
        } else {
          start = await verifyRootSelfSigned(envelopes[0], suites);
          rest = envelopes.slice(1);
        }
        const chain = await verifyRootChain(start, rest, new Date(), suites);
        const newest = chain[chain.length - 1] ?? start;
        if (opts.json)
          io.stdout(
            `${JSON.stringify({ ok: true, from_version: start.version, ...describeRoot(newest) })}\n`,
          );
        else
          io.stdout(
            `ok: trust root chain v${start.version} to v${newest.version} of ${newest.origin} verifies; v${newest.version} expires ${newest.expires}\n`,
          );
        setExitCode(EXIT_OK);
      } catch (error) {
        if (!(error instanceof TrustError)) throw error;
        if (opts.json)
          io.stdout(`${JSON.stringify({ ok: false, code: error.code, message: error.message })}\n`);
        io.stderr(`matriz: refused (${error.code}): ${error.message}\n`);
        setExitCode(EXIT_FINDINGS);
      }
    });

  storageOptions(
    group
      .command('publish')
      .description(
        'record a trust root or revocation list signed elsewhere (e.g. with offline root keys) in the log',
      )
      .argument('<envelope>', 'DSSE envelope JSON file'),
  ).action(async (file: string, opts: StorageOptions) => {
    const envelope = readEnvelopeOrUsage(await readJsonFile(io, file), file);
    const kind =
      envelope.payloadType === PAYLOAD_TYPES.trustRoot
        ? 'trust-root'
        : envelope.payloadType === PAYLOAD_TYPES.revocations
          ? 'revocations'
          : undefined;
    if (kind === undefined)
      throw new UsageError(
        `${file}: payloadType ${envelope.payloadType} is not a trust root or revocation list`,
      );
    await withOperator(io, setExitCode, opts, async (operator) => {
      const result = await operator.publish({ kind, envelope });
      if (opts.json) io.stdout(`${JSON.stringify({ kind, ...logged(result) })}\n`);
      else io.stdout(`recorded ${kind} at log index ${result.index}\n`);
    });
  });

  return group;
}

function splitRole(spec: string, option: string): [TrustRole, string] {
  const at = spec.indexOf('=');
  const role = spec.slice(0, at);
  if (at < 1 || !(TRUST_ROLES as readonly string[]).includes(role))
    throw new UsageError(
      `${option} ${spec}: expected <role>=..., role one of ${TRUST_ROLES.join(', ')}`,
    );
  return [role as TrustRole, spec.slice(at + 1)];
}

function readEnvelopeOrUsage(value: unknown, file: string) {
  try {
    return readEnvelope(value, file);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `keys rotate|retire|revoke`, added to the `keys` group. */
