/**
 * The `matriz guard` command group. Each guard adds its subcommands through one registration
 * function listed in GUARDS, so guards live in their own files.
 */
import { Command } from 'commander';
import type { CliIo } from '../io.js';
import { registerNoopGuard } from './guard-noop.js';
import { registerPromotionGuard } from './guard-promotion.js';

export type GuardRegistration = (
  group: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
) => void;

const GUARDS: readonly GuardRegistration[] = [registerPromotionGuard, registerNoopGuard];

export function guardCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const group = new Command('guard').description(
    'governance guards for CI: refuse what must not merge',
  );
  for (const register of GUARDS) register(group, io, setExitCode);
  return group;
}
