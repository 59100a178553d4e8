/**
 * Runs the configured gates with bounded parallelism, in configuration order as far as the
 * parallelism allows, and returns one result per configured gate (gates not selected by `only`
 * are SKIP, so a partial run never looks like a complete one).
 */
import path from 'node:path';
import type { Gate } from './gate-config.js';
import { executeGate } from './gate-execution.js';
import { gateResult, skippedGate, type GateResult } from './gate-result.js';

export interface GateRunOptions {
  readonly gates: readonly Gate[];
  /** Names to run; the others are skipped. Undefined runs every gate. */
  readonly only?: readonly string[];
  readonly parallelism: number;
  readonly cwd: string;
  /** Directory for the per-gate log files (`<name>.log`). */
  readonly logDirectory: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly killGraceMs?: number;
  readonly now?: () => Date;
  /** Called as each gate finishes, for progress output. */
  readonly onGateFinished?: (result: GateResult) => void;
}

export async function runGates(options: GateRunOptions): Promise<GateResult[]> {
  const selected = options.only ? new Set(options.only) : undefined;
  const results = new Array<GateResult>(options.gates.length);
  const queue: number[] = [];
  for (const [index, gate] of options.gates.entries()) {
    if (selected && !selected.has(gate.name))
      results[index] = skippedGate(gate, 'not selected by --only');
    else queue.push(index);
  }
  const now = options.now ?? (() => new Date());
  const worker = async (): Promise<void> => {
    for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
      const gate = options.gates[index] as Gate;
      const logFile = path.join(options.logDirectory, `${gate.name}.log`);
      const execution = await executeGate({
        command: gate.command,
        timeoutMs: gate.timeoutSeconds * 1000,
        logFile,
        cwd: options.cwd,
        env: { ...options.env, MATRIZ_GATE: gate.name },
        killGraceMs: options.killGraceMs ?? 5000,
      });
      const log = path.relative(options.cwd, logFile).split(path.sep).join('/');
      const result = gateResult(gate, execution, log, now());
      results[index] = result;
      options.onGateFinished?.(result);
    }
  };
  const workers = Math.max(1, Math.min(options.parallelism, queue.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
