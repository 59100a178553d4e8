/**
 * The external key command (MATRIZ_KEY_COMMAND), on the contract of git credential helpers
 * (git-credential(1), "Custom helpers"): MATRIZ runs `/bin/sh -c "<command> get"`, writes
 * `key=value` lines and a blank line on its standard input, and reads `key=value` lines back.
 *
 *   stdin:  purpose=log-ml-dsa-44      what the key is for ([a-z0-9-]+)
 *           keyid=<hex>                the key file's key id (absent when creating the key)
 *           algorithm=ml-dsa-44
 *           file=/abs/path/keys/log-ml-dsa-44.json
 *           <blank line>
 *   stdout: passphrase=<passphrase>    decrypts the key file, or
 *           secret_key=<base64>        the seed or expanded secret key, standard base64
 *
 * Output ends at a blank line or end of file; unknown keys are ignored (as git does). Whatever
 * comes back is checked against the file's public key before it is used. File paths travel on
 * standard input, never on the command line, so no path can inject shell syntax. Errors name the
 * purpose, the exit status and the command's standard error, never what it printed on stdout.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { base64Decode, equalBytes } from '../crypto/encoding.js';
import { publicKeyOf } from '../crypto/keys.js';
import { loadSignatureSuite, type BackendPreference } from '../crypto/suites.js';
import { createSecretKeyFile } from './create-key-file.js';
import { KeyStoreError } from './errors.js';
import { openSecretKey, readSecretKeyFile, type OpenedKey } from './key-file.js';
import {
  cachedOpen,
  checkNewPassphrase,
  checkPurpose,
  type KeyProvider,
  type ProviderOptions,
} from './key-provider.js';

export const KEY_COMMAND_ENV = 'MATRIZ_KEY_COMMAND';

/** How long a key command may take before it is killed. */
export const DEFAULT_KEY_COMMAND_TIMEOUT_MS = 30_000;

/** More output than any passphrase or key needs; the rest is refused, not buffered. */
const MAX_OUTPUT_BYTES = 64 * 1024;
/** How much of the command's standard error an error message quotes. */
const MAX_STDERR_QUOTED = 1000;

export interface CommandProviderOptions extends ProviderOptions {
  /** The command's environment (default: this process's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
}

/** What the command answered: one of the two. */
type Answer =
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'secret_key'; readonly secretKey: Uint8Array };

export function commandKeyProvider(
  command: string,
  options: CommandProviderOptions = {},
): KeyProvider {
  if (command.trim() === '')
    throw new KeyStoreError('key-command-failed', `${KEY_COMMAND_ENV} is set but empty`);
  const ask = (fields: Record<string, string>): Promise<Answer> =>
    askCommand(command, fields, options);
  const opened = new Map<string, Promise<OpenedKey>>();
  return {
    description: `the key command ${KEY_COMMAND_ENV}`,
    openKey: async (file, purpose) => {
      checkPurpose(purpose);
      return cachedOpen(opened, file, () => openWithCommand(ask, file, purpose, options.backend));
    },
    createKey: async (file, algorithm, purpose, create = {}) => {
      checkPurpose(purpose);
      const answer = await ask({ purpose, algorithm, file: path.resolve(file) });
      if (answer.kind !== 'passphrase')
        throw new KeyStoreError(
          'passphrase-unavailable',
          `${file}: no key file yet, and ${KEY_COMMAND_ENV} (purpose ${purpose}) answered secret_key=, not passphrase=; MATRIZ only creates encrypted key files, so have the command answer passphrase= for a new key, or create the key and its key file in the external system first`,
        );
      checkNewPassphrase(answer.passphrase, `${KEY_COMMAND_ENV} (purpose ${purpose})`);
      return createSecretKeyFile(file, algorithm, answer.passphrase, {
        ...(create.scrypt ? { scrypt: create.scrypt } : {}),
        ...(options.backend ? { backend: options.backend } : {}),
      });
    },
  };
}

async function openWithCommand(
  ask: (fields: Record<string, string>) => Promise<Answer>,
  file: string,
  purpose: string,
  backend: BackendPreference | undefined,
): Promise<OpenedKey> {
  // Permissions and shape first: a file others can read is refused before anyone is asked.
  const contents = await readSecretKeyFile(file);
  const answer = await ask({
    purpose,
    keyid: contents.keyid,
    algorithm: contents.alg,
    file: path.resolve(file),
  });
  const who = `${KEY_COMMAND_ENV} (purpose ${purpose})`;
  if (answer.kind === 'passphrase') {
    try {
      return await openSecretKey(file, answer.passphrase, backend);
    } catch (error) {
      if (error instanceof KeyStoreError && error.code === 'wrong-passphrase')
        throw new KeyStoreError(
          'wrong-passphrase',
          `${file}: the passphrase from ${who} does not open this key file (keyid ${contents.keyid})`,
        );
      throw error;
    }
  }
  return openWithSecretKey(file, contents.alg, contents.public_key, answer.secretKey, who, backend);
}

/**
 * Key material held outside the file: accepted only when it belongs to the file's public key.
 * A seed must rebuild exactly that public key; an expanded secret key must sign a random
 * message that the public key verifies.
 */
async function openWithSecretKey(
  file: string,
  algorithm: KeyAlgorithm,
  encodedPublicKey: string,
  material: Uint8Array,
  who: string,
  backend: BackendPreference | undefined,
): Promise<OpenedKey> {
  let key;
  try {
    key = publicKeyOf(algorithm, base64Decode(encodedPublicKey, 'public_key'));
  } catch (error) {
    throw new KeyStoreError('malformed', `${file}: "public_key" is not a valid ${algorithm} key`, {
      cause: error,
    });
  }
  const suite = await loadSignatureSuite(algorithm, backend);
  const mismatch = (): KeyStoreError =>
    new KeyStoreError(
      'wrong-key',
      `${file}: the secret key from ${who} does not match the public key in this file (keyid ${key.keyid}); refusing to use another key`,
    );
  let secretKey: Uint8Array;
  if (material.length === suite.lengths.seed) {
    const pair = suite.generateKeyPair(material);
    if (!equalBytes(pair.publicKey, key.publicKey)) throw mismatch();
    secretKey = pair.secretKey;
  } else if (material.length === suite.lengths.secretKey) {
    secretKey = material;
  } else {
    throw new KeyStoreError(
      'wrong-key',
      `${file}: the secret key from ${who} is ${material.length} bytes; ${algorithm} needs a ${suite.lengths.seed}-byte seed or a ${suite.lengths.secretKey}-byte secret key`,
    );
  }
  const challenge = new Uint8Array(randomBytes(32));
  let signature: Uint8Array;
  try {
    signature = suite.sign(challenge, secretKey);
  } catch {
    throw mismatch();
  }
  if (!suite.verify(signature, challenge, key.publicKey)) throw mismatch();
  return { key, secretKey, suite };
}

/** Runs `<command> get` with `fields` on stdin and parses its answer. */
async function askCommand(
  command: string,
  fields: Record<string, string>,
  options: CommandProviderOptions,
): Promise<Answer> {
  const purpose = fields.purpose ?? '';
  const who = `${KEY_COMMAND_ENV} (purpose ${purpose})`;
  for (const [name, value] of Object.entries(fields))
    if (/[\n\r\0]/.test(value))
      throw new KeyStoreError('key-command-failed', `${who}: ${name} contains a line break`);
  const input = `${Object.entries(fields)
    .map(([name, value]) => `${name}=${value}\n`)
    .join('')}\n`;
  const result = await run(command, input, options);
  const stderr = quote(result.stderr);
  if (result.timedOut)
    throw new KeyStoreError(
      'key-command-failed',
      `${who} did not answer within ${result.timeoutMs / 1000} s and was stopped${stderr}`,
    );
  if (result.error)
    throw new KeyStoreError('key-command-failed', `${who} could not be run (${result.error})`);
  if (result.tooLong)
    throw new KeyStoreError(
      'key-command-failed',
      `${who} printed more than ${MAX_OUTPUT_BYTES} bytes on standard output${stderr}`,
    );
  if (result.status !== 0)
    throw new KeyStoreError(
      'key-command-failed',
      `${who} failed (${result.status === null ? `killed by ${result.signal ?? 'a signal'}` : `exit status ${result.status}`})${stderr}`,
    );
  return parseAnswer(result.stdout, who, stderr);
}

/** Parses `key=value` lines up to a blank line; says which line is wrong, never what it holds. */
function parseAnswer(stdout: Buffer, who: string, stderr: string): Answer {
  const garbled = (what: string): KeyStoreError =>
    new KeyStoreError(
      'key-command-failed',
      `${who} answered garbled output: ${what}; expected key=value lines with passphrase= or secret_key=${stderr}`,
    );
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let decoded: string;
  try {
    decoded = text.decode(stdout);
  } catch {
    throw garbled('not UTF-8');
  }
  const values = new Map<string, string>();
  const lines = decoded.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') break;
    const equals = line.indexOf('=');
    if (equals <= 0) throw garbled(`line ${index + 1} is not key=value`);
    const name = line.slice(0, equals);
    if (values.has(name)) throw garbled(`"${name}" appears twice`);
    values.set(name, line.slice(equals + 1));
  }
  const passphrase = values.get('passphrase');
  const secret = values.get('secret_key');
  if (passphrase !== undefined && secret !== undefined)
    throw garbled('both passphrase= and secret_key=');
  if (passphrase !== undefined) {
    if (passphrase === '') throw garbled('passphrase= is empty');
    return { kind: 'passphrase', passphrase };
  }
  if (secret !== undefined) {
    try {
      return { kind: 'secret_key', secretKey: base64Decode(secret.trim(), 'secret_key') };
    } catch {
      throw garbled('secret_key= is not standard padded base64');
    }
  }
  throw garbled(values.size === 0 ? 'nothing' : 'neither passphrase= nor secret_key=');
}

interface RunResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly status: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly timeoutMs: number;
  readonly tooLong: boolean;
  readonly error?: string;
}

/**
 * Runs the command in its own process group so that a timeout stops it and everything it
 * started (a shell script's children included).
 */
function run(command: string, input: string, options: CommandProviderOptions): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_KEY_COMMAND_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', `${command} get`], {
      env: { ...(options.env ?? process.env) },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let tooLong = false;
    let timedOut = false;
    let settled = false;
    const stopGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const finish = (result: Omit<RunResult, 'stdout' | 'stderr' | 'timeoutMs' | 'tooLong'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, stdout: Buffer.concat(stdout), stderr, timeoutMs, tooLong });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stopGroup();
      finish({ status: null, signal: 'SIGKILL', timedOut });
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_OUTPUT_BYTES) {
        tooLong = true;
        stopGroup();
      } else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 16 * 1024) stderr += chunk.toString('utf8');
    });
    // A command that does not read its input closes the pipe early; that is not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('error', (error) => {
      finish({ status: null, signal: null, timedOut, error: error.message });
    });
    child.on('close', (status, signal) => {
      finish({ status, signal, timedOut });
    });
  });
}

function quote(stderr: string): string {
  const trimmed = stderr.trim();
  if (trimmed === '') return '';
  const short =
    trimmed.length > MAX_STDERR_QUOTED ? `${trimmed.slice(0, MAX_STDERR_QUOTED)}…` : trimmed;
  return `; its standard error says: ${short}`;
}
