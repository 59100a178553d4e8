import { InvalidArgumentError } from 'commander';

/** Parses a positive integer option value, for commander. */
export function positiveInteger(value: string): number {
  if (!/^[1-9]\d*$/.test(value))
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${value} is too large`);
  return n;
}
