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
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { configDir } from '../../client/client-state.js';
import {
  RegistryHttp,
  RegistryRequestError,
  RegistryUnavailableError,
} from '../../client/http-client.js';
import { ForkDetectedError, openLogSession } from '../../client/log-session.js';
import { VerificationError, verifyWriteResult } from '../../client/log-verifier.js';
import { ownerKey } from '../../client/owner-key.js';
import { CryptoError } from '../../crypto/errors.js';
import { KeyStoreError } from '../../keystore/errors.js';
import { checkNodeSpecSource } from '../../nodespec/check.js';
import type { NodeSpec } from '../../nodespec/nodespec.js';
import { buildWriteRequest, type WriteOperation } from '../../registry/request-builder.js';
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
import { readJsonFile } from '../inputs.js';
import type { CliIo } from '../io.js';
import { positiveInteger } from '../options.js';
import { LANES } from '../../nodespec/nodespec.js';

type SetExitCode = (code: number) => void;

interface ConnectionOptions {
  server?: string;
  timeout?: number;
}

/** The HTTP client for `--server`/`--timeout` (or MATRIZ_SERVER, MATRIZ_TIMEOUT, config.json). */
async function connect(io: CliIo, opts: ConnectionOptions): Promise<RegistryHttp> {
  const settings = await clientSettings(io, opts);
  return new RegistryHttp(settings.server, { timeoutMs: settings.timeoutMs });
}

function trustRootOption(): Option {
  return new Option(
    '--trust-root <file>',
    "pin this trust root (a DSSE envelope from the operator) instead of the log's version 1 on first contact",
  );
}

/** Opens the client's session with the log, pinning `--trust-root` when given. */
async function session(io: CliIo, client: RegistryHttp, opts: { trustRoot?: string }) {
  const trustRoot =
    opts.trustRoot === undefined ? undefined : await readJsonFile(io, opts.trustRoot);
  const opened = await openLogSession(client, client.base, configDir(io.env), {
    ...(trustRoot === undefined ? {} : { trustRoot }),
  });
  if (opened.pinnedNow)
    io.stderr(
      opened.trustRoot
        ? `matriz: pinned trust root of log ${opened.trustRoot.origin} on first contact; now at v${opened.trustRoot.version}\n`
        : `matriz: pinned the keys of log ${opened.verifier.name} on first contact\n`,
    );
  return opened;
}

/** Runs a client action, mapping each failure to its exit code and a one-line message. */
async function clientAction(
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
    .option(
      '--key <file>',
      'owner secret key file (default: owner.key in the config directory, created on first use)',
    )
    .option('--set-owner', "rewrite identity.owner_id to the key's GLYMPH id", false)
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
          if (spec.identity.owner_id !== owner.ownerId) {
            if (!opts.setOwner) {
              throw new UsageError(
                `${file}: identity.owner_id is ${spec.identity.owner_id}, but your key is ${owner.ownerId}; rerun with --set-owner to rewrite it`,
              );
            }
            spec.identity.owner_id = owner.ownerId;
          }
          const result = await sendWrite(io, opts, { op: 'register', nodeSpec: spec }, owner);
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
): Promise<Record<string, unknown> & { registry_id: string; index: number }> {
  const client = await connect(io, opts);
  const log = await session(io, client, opts);
  const envelope = buildWriteRequest(operation, {
    owner: owner.key,
    signer: owner.signer,
    origin: log.verifier.name,
  });
  if (opts.saveRequest !== undefined)
    await writeFileAtomic(path.resolve(io.cwd, opts.saveRequest), JSON.stringify(envelope), 0o600);
  const result =
    operation.op === 'register'
      ? await client.register(envelope)
      : await client.deregister(operation.registryId, envelope);
  const leaf = await client.leaf(result.index);
  verifyWriteResult(result, leaf, envelope, log.verifier);
  const checkpoint = await log.advance(result.checkpoint);
  return { ...result, verified: true, checkpoint_size: checkpoint.size };
}

export function queryCommand(io: CliIo, setExitCode: SetExitCode): Command {
  return new Command('query')
    .description('list active entries by signal (emitted or subscribed), capability, lane or owner')
    .addOption(serverOption())
    .addOption(timeoutOption())
    .option('--signal <name>')
    .option('--capability <verb:resource/path>')
    .addOption(new Option('--lane <lane>').choices(LANES))
    .option('--owner <GLYMPH:id>')
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
        limit: number;
        cursor?: string;
        json: boolean;
      }) =>
        clientAction(io, setExitCode, async () => {
          const page = await (
            await connect(io, opts)
          ).query({
            signal: opts.signal,
            capability: opts.capability,
            lane: opts.lane,
            owner: opts.owner,
            limit: opts.limit,
            cursor: opts.cursor,
          });
          if (opts.json) {
            io.stdout(`${JSON.stringify(page, null, 2)}\n`);
            return;
          }
          for (const entry of page.entries)
            io.stdout(
              `${String(entry.registry_id)}\t${String(entry.lane)}\ttier ${String(entry.tier)}\t${String(entry.owner_id)}\n`,
            );
          io.stdout(
            `${page.entries.length} entr${page.entries.length === 1 ? 'y' : 'ies'}${page.next_cursor ? `; more with --cursor ${page.next_cursor}` : ''}\n`,
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
    .option('--json', 'print the JSON entry', false)
    .action(async (registryId: string, opts: ConnectionOptions & { json: boolean }) =>
      clientAction(io, setExitCode, async () => {
        const entry = await (await connect(io, opts)).get(registryId);
        if (opts.json) io.stdout(`${JSON.stringify(entry, null, 2)}\n`);
        else {
          io.stdout(
            `${String(entry.registry_id)}  ${String(entry.status)}\nowner     ${String(entry.owner_id)}\nlane      ${String(entry.lane)} (tier ${String(entry.tier)})\nlog index ${String(entry.log_index)}\ndigest    ${String(entry.spec_digest)}\n${JSON.stringify(entry.node_spec, null, 2)}\n`,
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
    .addOption(trustRootOption())
    .option('--json', 'print one JSON object', false)
    .action(async (opts: ConnectionOptions & { trustRoot?: string; json: boolean }) =>
      clientAction(io, setExitCode, async () => {
        const client = await connect(io, opts);
        const log = await session(io, client, opts);
        const checkpoint = await log.advance(await client.checkpoint());
        const summary = {
          origin: checkpoint.origin,
          size: checkpoint.size,
          signed_at: new Date(checkpoint.timestamp * 1000).toISOString(),
          keys_pinned_now: log.pinnedNow,
          trust_root_version: log.trustRoot?.version ?? null,
          consistent_with_size: log.previous?.size ?? null,
        };
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

function report(io: CliIo, json: boolean, result: Record<string, unknown>, line: string): void {
  if (json) io.stdout(`${JSON.stringify(result)}\n`);
  else io.stdout(`${line}; verified: checkpoint signatures, inclusion proof, consistency\n`);
}
