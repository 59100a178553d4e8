/**
 * What a client remembers about each log, in its config directory: the log keys it pinned on
 * first contact, the newest trust root and revocation list it verified (once the log has a trust
 * root), and the last checkpoint it verified. That memory is what detects a log that forked,
 * rolled back, swapped its keys or went back to an older trust root.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../files/atomic-file.js';
import type { LogKeysDocument } from './http-client.js';

export interface LogState {
  /** The log's origin: state is kept per log, whichever server or replica served it. */
  readonly origin: string;
  /** The server it was last fetched from. */
  readonly server: string;
  readonly keys: LogKeysDocument;
  /** The last verified checkpoint note. */
  readonly checkpoint?: string;
  /** The newest trust root envelope verified through the chain from the pinned one. */
  readonly trust_root?: unknown;
  /** The newest revocation list envelope verified under that root. */
  readonly revocations?: unknown;
}

/** The config directory: $MATRIZ_CONFIG_DIR, else $XDG_CONFIG_HOME/matriz, else ~/.config/matriz. */
export function configDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.MATRIZ_CONFIG_DIR) return env.MATRIZ_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, 'matriz');
  return path.join(os.homedir(), '.config', 'matriz');
}

function stateFile(dir: string, origin: string): string {
  const id = createHash('sha256').update(origin).digest('hex').slice(0, 16);
  return path.join(dir, 'logs', `${id}.json`);
}

export async function loadLogState(dir: string, origin: string): Promise<LogState | undefined> {
  const text = await readFile(stateFile(dir, origin), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as LogState);
}

export async function saveLogState(dir: string, state: LogState): Promise<void> {
  const file = stateFile(dir, state.origin);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/** Where `matriz verify` writes the two checkpoints that prove a fork or rollback. */
export async function saveForkEvidence(
  dir: string,
  server: string,
  previous: string,
  next: string,
): Promise<string> {
  const file = path.join(
    dir,
    'evidence',
    `fork-${new Date().toISOString().replaceAll(':', '-')}.json`,
  );
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(
    file,
    `${JSON.stringify({ server, previous_checkpoint: previous, new_checkpoint: next }, null, 2)}\n`,
    0o600,
  );
  return file;
}
