import { InvalidArgumentError } from 'commander';
import { UsageError } from './exit-codes.js';

/** Shared with the governance commands: packages/governance/src/cli/options.ts. */
export { positiveInteger } from 'matriz-governance/cli/core';

/** Parses a whole number (0 allowed), for commander. */
export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Parses a positive number of seconds (fractions allowed), for commander. */
export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0))
    throw new InvalidArgumentError(
      `expected a positive number of seconds, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** Parses an scrypt cost exponent n (N = 2^n) for key files a command creates, for commander. */
export function scryptLogN(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 10 || n > 22)
    throw new InvalidArgumentError(
      `must be an integer from 10 to 22, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** --port: 0 to 65535 (0 picks a free port). */
export function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new UsageError(`--port must be 0..65535, got ${JSON.stringify(value)}`);
  return port;
}
