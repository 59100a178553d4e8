/**
 * The registry client: `register`, `query`, `get`, `deregister`, `verify`. Every answer that
 * claims something is in the log is verified here before it is reported: checkpoint signatures
 * against the pinned log keys, the inclusion proof of the exact leaf, and consistency with the
 * last checkpoint this client saw.
 *
 * Exit codes: 0 ok, 1 refused by the registry, 2 usage or I/O error, 3 verification failed,
 * 4 the log forked or rolled back, 5 no usable answer (unreachable, timeout, not a registry).
 */
import { OWNER_PASSPHRASE_ENV } from '../../keystore/passphrase.js';
import { readFile, stat } from 'node:fs/promises';
import { formatCanonical } from '../../json/canonicalize.js';
import path from 'node:path';
import { Command, Option } from 'commander';
import { configDir } from '../../client/client-state.js';
import { RegistryRequestError, RegistryUnavailableError } from '../../client/http-client.js';
import { RegistryClient, type VerifiedWrite } from '../../client/registry-client.js';
import { ForkDetectedError } from '../../client/log-session.js';
import { VerificationError } from '../../client/log-verifier.js';
import { ownerKey } from '../../client/owner-key.js';
import { CryptoError } from '../../crypto/errors.js';
import { KeyStoreError } from '../../keystore/errors.js';
import { checkNodeSpecSource } from '../../nodespec/check.js';
import type { NodeSpec } from '../../nodespec/nodespec.js';
import type { WriteOperation } from '../../registry/request-builder.js';
import { writeFileAtomic } from '../../files/atomic-file.js';
import { passphraseEnvOption, passphraseSource } from '../crypto-context.js';
import {
  EXIT_FINDINGS,
  EXIT_FORK,
  EXIT_OK,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
  EXIT_VERIFICATION_FAILED,
  UsageError,
} from '../exit-codes.js';
import { clientSettings, serverOption, timeoutOption } from '../client-settings.js';
import { readJsonFile, readWitnessPolicyFile } from '../inputs.js';
import type { CliIo } from '../io.js';
import { printable } from '../printable.js';
import { positiveInteger } from '../options.js';
import { LANES } from '../../nodespec/nodespec.js';

type SetExitCode = (code: number) => void;

interface ConnectionOptions {
  server?: string;
  timeout?: number;
}

/**
 * The `matriz/client` RegistryClient for `--server`/`--timeout` (or MATRIZ_SERVER,
 * MATRIZ_TIMEOUT, config.json), pinning `--trust-root` when given; it says so on stderr when this
 * run pinned the log's keys or trust root.
 */
async function connect(
  io: CliIo,
  opts: ConnectionOptions & { trustRoot?: string; witnessPolicy?: string },
): Promise<RegistryClient> {
  const settings = await clientSettings(io, opts);
  const trustRoot =
    opts.trustRoot === undefined ? undefined : await readJsonFile(io, opts.trustRoot);
  const witnessPolicy =
    opts.witnessPolicy === undefined
      ? undefined
      : await readWitnessPolicyFile(io, opts.witnessPolicy);
  return new RegistryClient({
    server: settings.server,
    timeoutMs: settings.timeoutMs,
    stateDir: configDir(io.env),
    env: io.env,
    ...(trustRoot === undefined ? {} : { trustRoot }),
    ...(witnessPolicy === undefined ? {} : { witnessPolicy }),
  });
}

/** --witness-policy: checkpoints from the log must be cosigned by k of these witnesses. */
export function witnessPolicyOption(): Option {
  return new Option(
    '--witness-policy <file>',
    'refuse a checkpoint the log serves unless k of these witnesses cosigned it: {"threshold": k, "witnesses": [{"vkey"}]} (docs/api.md, Witnesses)',
  );
}

function trustRootOption(): Option {
  return new Option(
    '--trust-root <file>',
    "pin this trust root (a DSSE envelope from the operator) instead of the log's version 1 on first contact",
  );
}

/** Opens the client's session with the log, and says when this run pinned its keys or root. */
async function session(io: CliIo, client: RegistryClient) {
  const opened = await client.session();
  if (opened.pinnedNow)
    io.stderr(
      opened.trustRoot
        ? `matriz: pinned trust root of log ${opened.trustRoot.origin} on first contact; now at v${opened.trustRoot.version}\n`
        : `matriz: pinned the keys of log ${opened.verifier.name} on first contact\n`,
    );
  return opened;
}

/** Runs a client action, mapping each failure to its exit code and a one-line message. */
export async function clientAction(
  io: CliIo,
  setExitCode: SetExitCode,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
    setExitCode(EXIT_OK);
  } catch (error) {
    if (error instanceof ForkDetectedError) {
      io.stderr(`matriz: LOG FORK OR ROLLBACK: ${error.message}\n`);
      setExitCode(EXIT_FORK);
    } else if (error instanceof VerificationError) {
      io.stderr(`matriz: verification failed: ${error.message}\n`);
      setExitCode(EXIT_VERIFICATION_FAILED);
    } else if (error instanceof RegistryUnavailableError) {
      io.stderr(`matriz: error: ${error.message}\n`);
      setExitCode(EXIT_UNAVAILABLE);
    } else if (error instanceof RegistryRequestError) {
      io.stderr(
        `matriz: ${error.problem ? `refused: ${error.message}` : `error: ${error.message}`}\n`,
      );
      setExitCode(
        error.problem && error.status >= 400 && error.status < 500 ? EXIT_FINDINGS : EXIT_USAGE,
      );
    } else if (error instanceof KeyStoreError || error instanceof CryptoError) {
      throw new UsageError(error.message, { cause: error });
    } else {
      throw error;
    }
  }
}

export function registerCommand(io: CliIo, setExitCode: SetExitCode): Command {
  return new Command('register')
    .description(
      'sign a NodeSpec with your owner key, register it, and verify the proof the registry returns',
    )
    .argument('<nodespec>', 'NodeSpec JSON file')
    .addOption(serverOption())
    .addOption(timeoutOption())
    .addOption(witnessPolicyOption())
    .option(
      '--key <file>',
      'owner secret key file (default: owner.key in the config directory, created on first use)',
    )
    .option(
      '--write-owner',
      "rewrite identity.owner_id in the file to the key's GLYMPH id (atomically, canonical form) once the registration is verified",
      false,
    )
    .option(
      '--set-owner',
      "sign with the key's GLYMPH id as identity.owner_id, leaving the file as it is",
      false,
    )
    .option('--save-request <file>', 'also write the exact signed request body sent')
    .option('--json', 'print one JSON object', false)
    .addOption(trustRootOption())
    .addOption(passphraseEnvOption(OWNER_PASSPHRASE_ENV))
    .action(
      async (
        file: string,
        opts: {
          server?: string;
          timeout?: number;
          key?: string;
          writeOwner: boolean;
          setOwner: boolean;
          saveRequest?: string;
          json: boolean;
          trustRoot?: string;
          passphraseEnv: string;
        },
      ) =>
        clientAction(io, setExitCode, async () => {
          const spec = await readNodeSpec(io, file);
          const dir = configDir(io.env);
          const owner = await ownerKey(
            opts.key === undefined ? undefined : path.resolve(io.cwd, opts.key),
            dir,
            passphraseSource(io, opts.passphraseEnv),
          );
          if (owner.created)
            io.stderr(
              `matriz: created owner key ${owner.file} (owner_id ${owner.ownerId}); back it up: it is the only proof you own your nodes\n`,
            );
          const inFile = spec.identity.owner_id;
          const differs = inFile !== owner.ownerId;
          if (differs) {
            if (!opts.setOwner && !opts.writeOwner) {
              throw new UsageError(
                `${file}: identity.owner_id is ${inFile}, but your key is ${owner.ownerId}; rerun with --write-owner to rewrite it in the file, or --set-owner to sign with your id and leave the file as it is`,
              );
            }
            spec.identity.owner_id = owner.ownerId;
          }
          const result = await sendWrite(io, opts, { op: 'register', nodeSpec: spec }, owner);
          if (differs && opts.writeOwner) {
            await writeNodeSpec(io, file, spec);
            io.stderr(`matriz: wrote identity.owner_id ${owner.ownerId} into ${file}\n`);
          } else if (differs)
            io.stderr(
              `matriz: registered with identity.owner_id ${owner.ownerId}; ${file} still says ${inFile} (--write-owner rewrites it)\n`,
            );
          report(
            io,
            opts.json,
            result,
            `registered ${result.registry_id} at log index ${result.index}`,
          );
        }),
    );
}

export function deregisterCommand(io: CliIo, setExitCode: SetExitCode): Command {
  return new Command('deregister')
    .description('sign and send a deregistration of one of your entries (logged like any write)')
    .argument('<registry_id>', '<name>@<version>')
    .addOption(serverOption())
    .addOption(timeoutOption())
    .addOption(witnessPolicyOption())
    .option('--key <file>', 'owner secret key file (default: owner.key in the config directory)')
    .option('--save-request <file>', 'also write the exact signed request body sent')
    .option('--json', 'print one JSON object', false)
    .addOption(trustRootOption())
    .addOption(passphraseEnvOption(OWNER_PASSPHRASE_ENV))
    .action(
      async (
        registryId: string,
        opts: {
          server?: string;
          timeout?: number;
          key?: string;
          saveRequest?: string;
          json: boolean;
          trustRoot?: string;
          passphraseEnv: string;
        },
      ) =>
        clientAction(io, setExitCode, async () => {
          const owner = await ownerKey(
            opts.key === undefined ? undefined : path.resolve(io.cwd, opts.key),
            configDir(io.env),
            passphraseSource(io, opts.passphraseEnv),
          );
          const result = await sendWrite(io, opts, { op: 'deregister', registryId }, owner);
          report(
            io,
            opts.json,
            result,
            `deregistered ${result.registry_id} at log index ${result.index}`,
          );
        }),
    );
}

async function sendWrite(
  io: CliIo,
  opts: ConnectionOptions & { saveRequest?: string; trustRoot?: string },
  operation: WriteOperation,
  owner: Awaited<ReturnType<typeof ownerKey>>,
): Promise<VerifiedWrite> {
  const client = await connect(io, opts);
  await session(io, client);
  const saveRequest = opts.saveRequest;
  const options = {
    ...(saveRequest === undefined
      ? {}
      : {
          beforeSend: (envelope: unknown) =>
            writeFileAtomic(path.resolve(io.cwd, saveRequest), JSON.stringify(envelope), 0o600),
        }),
  };
  return operation.op === 'register'
    ? client.register(operation.nodeSpec, owner, options)
    : client.deregister(operation.registryId, owner, options);
}

export function queryCommand(io: CliIo, setExitCode: SetExitCode): Command {
  return new Command('query')
    .description(
      'list active entries by signal (emitted or subscribed), capability, lane, owner or name prefix',
    )
    .addOption(serverOption())
    .addOption(timeoutOption())
    .addOption(witnessPolicyOption())
    .option('--signal <name>')
    .option('--capability <verb:resource/path>')
    .addOption(new Option('--lane <lane>').choices(LANES))
    .option('--owner <GLYMPH:id>')
    .option('--name <prefix>', 'node names starting with this (every version of each)')
    .addOption(new Option('--limit <n>', 'entries per page').argParser(positiveInteger).default(50))
    .option('--cursor <registry_id>', 'continue after this entry (from next_cursor)')
    .option('--json', 'print the JSON page', false)
    .action(
      async (opts: {
        server?: string;
        timeout?: number;
        signal?: string;
        capability?: string;
        lane?: string;
        owner?: string;
        name?: string;
        limit: number;
        cursor?: string;
        json: boolean;
      }) =>
        clientAction(io, setExitCode, async () => {
          const client = await connect(io, opts);
          await session(io, client);
          const pages = client.query({
            ...(opts.signal === undefined ? {} : { signal: opts.signal }),
            ...(opts.capability === undefined ? {} : { capability: opts.capability }),
            ...(opts.lane === undefined ? {} : { lane: opts.lane }),
            ...(opts.owner === undefined ? {} : { owner: opts.owner }),
            ...(opts.name === undefined ? {} : { name: opts.name }),
            limit: opts.limit,
            ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
          });
          // One page per run: --cursor continues. The server bounds each request's scan, so a
          // page can come back empty with a cursor; those are followed, not printed.
          let page = (await pages.next()).value ?? { entries: [], next_cursor: null };
          while (page.entries.length === 0 && page.next_cursor !== null)
            page = (await pages.next()).value ?? { entries: [], next_cursor: null };
          if (opts.json) {
            io.stdout(`${JSON.stringify(page, null, 2)}\n`);
            return;
          }
          for (const entry of page.entries)
            io.stdout(
              `${[entry.registry_id, entry.lane, `tier ${entry.tier}`, entry.owner_id].map(printable).join('\t')}\n`,
            );
          io.stdout(
            `${page.entries.length} entr${page.entries.length === 1 ? 'y' : 'ies'}, verified: each in the log under the signed checkpoint${page.next_cursor ? `; more with --cursor ${page.next_cursor}` : ''}\n`,
          );
        }),
    );
}

export function getCommand(io: CliIo, setExitCode: SetExitCode): Command {
  return new Command('get')
    .description('show one entry and its NodeSpec')
    .argument('<registry_id>', '<name>@<version>')
    .addOption(serverOption())
    .addOption(timeoutOption())
    .addOption(witnessPolicyOption())
    .option('--json', 'print the JSON entry', false)
    .action(async (registryId: string, opts: ConnectionOptions & { json: boolean }) =>
      clientAction(io, setExitCode, async () => {
        const client = await connect(io, opts);
        await session(io, client);
        const entry = await client.get(registryId);
        if (opts.json) io.stdout(`${JSON.stringify(entry, null, 2)}\n`);
        else {
          // The human form escapes what a terminal would act on; --json gives the data as it is.
          io.stdout(
            printable(
              `${entry.registry_id}  ${entry.status}\nowner     ${entry.owner_id}\nlane      ${entry.lane} (tier ${entry.tier})\nlog index ${entry.log_index}\ndigest    ${entry.spec_digest}\nverified  in the log under the signed checkpoint of size ${entry.checkpoint_size}\n${JSON.stringify(entry.node_spec, null, 2)}`,
            ) + '\n',
          );
        }
      }),
    );
}

export function verifyCommand(io: CliIo, setExitCode: SetExitCode): Command {
  return new Command('verify')
    .description(
      "verify the latest checkpoint (signatures by the trust root's log keys, or the keys pinned on first contact) and its consistency with the last one seen (exit 3 invalid, 4 fork or rollback)",
    )
    .addOption(serverOption())
    .addOption(timeoutOption())
    .addOption(witnessPolicyOption())
    .addOption(trustRootOption())
    .option('--json', 'print one JSON object', false)
    .action(async (opts: ConnectionOptions & { trustRoot?: string; json: boolean }) =>
      clientAction(io, setExitCode, async () => {
        const client = await connect(io, opts);
        const log = await session(io, client);
        const summary = await client.verify();
        if (opts.json) io.stdout(`${JSON.stringify({ ok: true, ...summary })}\n`);
        else {
          io.stdout(
            `ok: log ${summary.origin} at size ${summary.size}, signed ${summary.signed_at} (Ed25519 + ML-DSA-44)\n` +
              (log.trustRoot
                ? `trusted through trust root v${log.trustRoot.version} (expires ${log.trustRoot.expires})\n`
                : '') +
              (log.previous
                ? `consistent with the size ${log.previous.size} checkpoint seen before\n`
                : `first checkpoint seen from this log${log.pinnedNow ? '; its keys are now pinned' : ''}\n`),
          );
        }
      }),
    );
}

async function readNodeSpec(io: CliIo, file: string): Promise<NodeSpec> {
  const bytes = await readFile(path.resolve(io.cwd, file)).catch((error: unknown) => {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  });
  const { parsed, findings } = checkNodeSpecSource(new Uint8Array(bytes));
  const errors = findings.filter((f) => f.severity === 'error');
  if (parsed === undefined || errors.length > 0) {
    throw new UsageError(
      `${file} is not a valid NodeSpec:\n${errors.map((f) => `  ${file}:${f.line}:${f.column}: ${f.message}`).join('\n')}`,
    );
  }
  return parsed.value as unknown as NodeSpec;
}

/** Rewrites a NodeSpec file atomically in canonical form (what `nodespec fmt` writes), keeping its mode. */
async function writeNodeSpec(io: CliIo, file: string, spec: NodeSpec): Promise<void> {
  const absolute = path.resolve(io.cwd, file);
  try {
    const { mode } = await stat(absolute);
    await writeFileAtomic(absolute, formatCanonical(spec), mode & 0o7777);
  } catch (error) {
    throw new UsageError(
      `${file}: registered, but could not rewrite identity.owner_id in the file: ${(error as Error).message}`,
    );
  }
}

function report(io: CliIo, json: boolean, result: VerifiedWrite, line: string): void {
  if (json) io.stdout(`${JSON.stringify(result)}\n`);
  else io.stdout(`${line}; verified: checkpoint signatures, inclusion proof, consistency\n`);
}
