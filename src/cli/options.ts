import { InvalidArgumentError } from 'commander';

/** Shared with the governance commands: packages/governance/src/cli/options.ts. */
export { positiveInteger } from 'matriz-governance/cli/core';

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
