/**
 * Where the client commands find their server and timeout: the option, else the environment
 * (MATRIZ_SERVER, MATRIZ_TIMEOUT), else `config.json` in the client's config directory
 * (`{"server": "https://...", "timeout_seconds": 30}`), else the defaults (docs/cli.md).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option } from 'commander';
import { configDir } from '../client/client-state.js';
import { DEFAULT_TIMEOUT_MS } from '../client/http-client.js';
import { UsageError } from './exit-codes.js';
import type { CliIo } from './io.js';
import { positiveSeconds } from './options.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
export const SERVER_ENV = 'MATRIZ_SERVER';
export const TIMEOUT_ENV = 'MATRIZ_TIMEOUT';

export interface ClientSettings {
  readonly server: string;
  readonly timeoutMs: number;
}

export function serverOption(): Option {
  return new Option(
    '--server <url>',
    `registry base URL (default: $${SERVER_ENV}, else "server" in config.json, else ${DEFAULT_SERVER})`,
  );
}

export function timeoutOption(): Option {
  return new Option(
    '--timeout <seconds>',
    `give up on a request after this long (default: $${TIMEOUT_ENV}, else "timeout_seconds" in config.json, else ${DEFAULT_TIMEOUT_MS / 1000})`,
  ).argParser(positiveSeconds);
}

/** The settings for one command run, from its options, the environment and config.json. */
export async function clientSettings(
  io: CliIo,
  opts: { server?: string; timeout?: number },
): Promise<ClientSettings> {
  const config = await readConfig(io);
  const server = opts.server ?? nonEmpty(io.env[SERVER_ENV]) ?? config.server ?? DEFAULT_SERVER;
  const envTimeout = nonEmpty(io.env[TIMEOUT_ENV]);
  let timeoutSeconds = opts.timeout ?? config.timeout_seconds;
  if (opts.timeout === undefined && envTimeout !== undefined) {
    timeoutSeconds = Number(envTimeout);
    if (!(timeoutSeconds > 0))
      throw new UsageError(
        `${TIMEOUT_ENV} must be a positive number of seconds, got ${JSON.stringify(envTimeout)}`,
      );
  }
  if (!/^https?:\/\/[^/]/i.test(server))
    throw new UsageError(
      `the registry URL ${JSON.stringify(server)} is not an http:// or https:// URL`,
    );
  return { server, timeoutMs: (timeoutSeconds ?? DEFAULT_TIMEOUT_MS / 1000) * 1000 };
}

interface ConfigFile {
  readonly server?: string;
  readonly timeout_seconds?: number;
}

async function readConfig(io: CliIo): Promise<ConfigFile> {
  const file = path.join(configDir(io.env), 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return {};
    throw new UsageError(`${file}: cannot read the client config: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const config = (typeof value === 'object' && value !== null ? value : undefined) as
    Record<string, unknown> | undefined;
  const server = config?.server;
  const timeout = config?.timeout_seconds;
  if (
    config === undefined ||
    (server !== undefined && typeof server !== 'string') ||
    (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0))
  )
    throw new UsageError(
      `${file} must be an object like {"server": "https://registry.example", "timeout_seconds": 30}`,
    );
  return {
    ...(server === undefined ? {} : { server }),
    ...(timeout === undefined ? {} : { timeout_seconds: timeout }),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
