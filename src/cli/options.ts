import { InvalidArgumentError } from 'commander';

/** Parses a positive integer option value, for commander. */
export function positiveInteger(value: string): number {
  if (!/^[1-9]\d*$/.test(value))
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${value} is too large`);
  return n;
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
