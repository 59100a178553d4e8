/**
 * Runs one gate's command: `sh -c <command>` in its own process group, standard output and
 * standard error interleaved into the gate's log file, bounded by the gate's timeout. On timeout
 * the whole process group gets SIGTERM, then SIGKILL after a grace period, so no grandchild
 * (a test runner's workers, a server the gate started) outlives its gate.
 */
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

export type GateExecution =
  | {
      readonly kind: 'exited';
      readonly exitCode: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly durationMs: number;
    }
  | { readonly kind: 'timed-out'; readonly durationMs: number }
  | { readonly kind: 'not-started'; readonly error: string; readonly durationMs: number };

export interface GateExecutionOptions {
  readonly command: string;
  readonly timeoutMs: number;
  readonly logFile: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How long a timed-out gate gets between SIGTERM and SIGKILL. */
  readonly killGraceMs: number;
}

export async function executeGate(options: GateExecutionOptions): Promise<GateExecution> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let log;
  try {
    await mkdir(path.dirname(options.logFile), { recursive: true });
    log = await open(options.logFile, 'w');
  } catch (error) {
    return {
      kind: 'not-started',
      error: `cannot open the log file: ${(error as Error).message}`,
      durationMs: elapsed(),
    };
  }
  try {
    return await new Promise<GateExecution>((resolve) => {
      const child = spawn('sh', ['-c', options.command], {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', log.fd, log.fd],
        detached: true,
      });
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const signalGroup = (signal: NodeJS.Signals): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          // The group is already gone.
        }
      };
      const timeoutTimer = setTimeout(() => {
        timedOut = true;
        signalGroup('SIGTERM');
        killTimer = setTimeout(() => {
          signalGroup('SIGKILL');
        }, options.killGraceMs);
      }, options.timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timeoutTimer);
        resolve({ kind: 'not-started', error: error.message, durationMs: elapsed() });
      });
      child.once('exit', (exitCode, signal) => {
        clearTimeout(timeoutTimer);
        if (killTimer) clearTimeout(killTimer);
        // Anything the shell left running in its group goes with it.
        signalGroup('SIGKILL');
        resolve(
          timedOut
            ? { kind: 'timed-out', durationMs: elapsed() }
            : { kind: 'exited', exitCode, signal, durationMs: elapsed() },
        );
      });
    });
  } finally {
    await log.close();
  }
}
