/**
 * Which check names the repository's GitHub Actions workflows produce. A required status check
 * that no job reports can never pass, and blocks every pull request forever (the prototype's
 * comma-joined context was such a name), so `github protect --check` refuses it.
 *
 * A job's check run is named by its `name:` or, without one, its id. A matrix job without a
 * `name` reports `<id> (<value>, <value>)` per combination; `${{ ... }}` expressions in a name
 * match any text. Only workflows triggered by pull requests count, since that is where required
 * checks are needed.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface WorkflowJob {
  readonly workflow: string;
  readonly id: string;
  /** The check name, possibly with `${{ }}` expressions. */
  readonly checkNames: readonly string[];
  readonly runsOnPullRequests: boolean;
}

export interface WorkflowProblem {
  readonly context: string;
  readonly message: string;
}

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target', 'merge_group']);

function triggers(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.filter((e): e is string => typeof e === 'string');
  if (on && typeof on === 'object') return Object.keys(on);
  return [];
}

/** How GitHub writes a matrix value in a check name: scalars as they are, objects as JSON. */
function matrixValueText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value);
}

function matrixCombinations(matrix: unknown): string[][] {
  if (!matrix || typeof matrix !== 'object' || Array.isArray(matrix)) return [];
  const axes = Object.entries(matrix as Record<string, unknown>)
    .filter(([key, values]) => key !== 'include' && key !== 'exclude' && Array.isArray(values))
    .map(([, values]) => (values as unknown[]).map(matrixValueText));
  if (axes.length === 0) return [];
  return axes.reduce<string[][]>(
    (combos, axis) => combos.flatMap((c) => axis.map((v) => [...c, v])),
    [[]],
  );
}

export async function readWorkflowJobs(workflowDirectory: string): Promise<WorkflowJob[]> {
  let names: string[];
  try {
    names = (await readdir(workflowDirectory)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    return [];
  }
  const jobs: WorkflowJob[] = [];
  for (const name of names) {
    let document: unknown;
    try {
      document = parseYaml(await readFile(path.join(workflowDirectory, name), 'utf8'));
    } catch {
      continue;
    }
    if (!document || typeof document !== 'object') continue;
    const workflow = document as { on?: unknown; jobs?: Record<string, unknown> };
    const runsOnPullRequests = triggers(workflow.on).some((t) => PULL_REQUEST_EVENTS.has(t));
    for (const [id, job] of Object.entries(workflow.jobs ?? {})) {
      const spec = (job ?? {}) as { name?: unknown; strategy?: { matrix?: unknown } };
      const combos = matrixCombinations(spec.strategy?.matrix);
      const base = typeof spec.name === 'string' ? spec.name : id;
      const checkNames =
        combos.length > 0 && typeof spec.name !== 'string'
          ? combos.map((c) => `${id} (${c.join(', ')})`)
          : [base];
      jobs.push({ workflow: name, id, checkNames, runsOnPullRequests });
    }
  }
  return jobs;
}

function nameMatcher(name: string): RegExp {
  const parts = name.split(/\$\{\{.*?\}\}/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
}

/** Problems with required contexts: produced by no job, or only by jobs that never run on PRs. */
export function requiredCheckProblems(
  contexts: readonly string[],
  jobs: readonly WorkflowJob[],
  workflowDirectory: string,
): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  for (const context of contexts) {
    const producers = jobs.filter((job) =>
      job.checkNames.some((n) => nameMatcher(n).test(context)),
    );
    if (producers.length === 0) {
      problems.push({
        context,
        message: `required check "${context}" is produced by no job in ${workflowDirectory}/ (a job's check is named by its name: or its id)`,
      });
    } else if (!producers.some((job) => job.runsOnPullRequests)) {
      problems.push({
        context,
        message: `required check "${context}" comes from ${producers.map((j) => `${j.workflow}#${j.id}`).join(', ')}, which never runs on pull_request, so pull requests would wait for it forever`,
      });
    }
  }
  return problems;
}
