/**
 * The No-Op guard use case: resolve the change, load the policy, judge every path, append the run
 * to the audit log. The policy comes from `--config` when given, else from `.matriz/noop.yml` in
 * the *base* revision, so a change cannot relax the guard that judges it.
 */
import { auditPaths, appendAuditRecord, newRunId, type RunRecord } from './audit-log.js';
import { judgeChange, type ChangeJudgement } from './change-judgement.js';
import { GitRepository } from './git-object-store.js';
import {
  DEFAULT_POLICY_DIGEST,
  loadNoopConfig,
  parseNoopConfig,
  type NoopConfigError,
} from './noop-config.js';
import { compilePolicy, DEFAULT_POLICY_SOURCE, type NoopPolicy } from './policy.js';

/** Where a repository keeps its own No-Op policy (read from the base revision). */
export const REPOSITORY_CONFIG_PATH = '.matriz/noop.yml';

export class NoopConfigFailure extends Error {
  override readonly name = 'NoopConfigFailure';
  constructor(readonly error: NoopConfigError) {
    super(error.message);
  }
}

export interface LoadedPolicy {
  readonly policy: NoopPolicy;
  readonly digest: string;
  /** Where the policy came from: a file, `<base>:.matriz/noop.yml`, or `built-in`. */
  readonly origin: string;
}

export async function loadPolicy(
  repository: GitRepository,
  configFile: string | undefined,
  base: string | undefined,
): Promise<LoadedPolicy> {
  if (configFile !== undefined) {
    const loaded = await loadNoopConfig(configFile);
    if (!loaded.ok) throw new NoopConfigFailure(loaded.error);
    return { policy: compilePolicy(loaded.policy), digest: loaded.digest, origin: configFile };
  }
  if (base !== undefined) {
    const bytes = await repository.readFileAt(base, REPOSITORY_CONFIG_PATH);
    if (bytes !== undefined) {
      const origin = `${base.slice(0, 12)}:${REPOSITORY_CONFIG_PATH}`;
      const parsed = parseNoopConfig(new TextDecoder().decode(bytes), origin);
      if (!parsed.ok) throw new NoopConfigFailure(parsed.error);
      return { policy: compilePolicy(parsed.policy), digest: parsed.digest, origin };
    }
  }
  return {
    policy: compilePolicy(DEFAULT_POLICY_SOURCE),
    digest: DEFAULT_POLICY_DIGEST,
    origin: 'built-in',
  };
}

export interface NoopGuardOptions {
  readonly repository: string;
  /** `{ base, head }`, or `{ commit }` for a commit against its first parent. */
  readonly change: { readonly base: string; readonly head: string } | { readonly commit: string };
  readonly configFile?: string;
  /** Append the run here; no audit record when undefined. */
  readonly auditLog?: string;
  readonly guardVersion: string;
  readonly now?: () => Date;
}

export interface NoopGuardRun {
  readonly judgement: ChangeJudgement;
  readonly record: RunRecord;
  readonly policyOrigin: string;
}

export async function runNoopGuard(options: NoopGuardOptions): Promise<NoopGuardRun> {
  const repository = await GitRepository.open(options.repository);
  try {
    let base: string;
    let head: string;
    if ('commit' in options.change) {
      head = await repository.resolveCommit(options.change.commit);
      base = await repository.firstParentOrEmptyTree(head);
    } else {
      base = await repository.resolveCommit(options.change.base);
      head = await repository.resolveCommit(options.change.head);
    }
    const loaded = await loadPolicy(repository, options.configFile, base);
    const judgement = await judgeChange(repository, base, head, loaded.policy);
    const record: RunRecord = {
      type: 'run',
      run_id: newRunId(),
      time: (options.now?.() ?? new Date()).toISOString(),
      repository: options.repository,
      base,
      head,
      verdict: judgement.verdict,
      paths: auditPaths(judgement.paths),
      guard_version: options.guardVersion,
      config_digest: loaded.digest,
    };
    if (options.auditLog !== undefined) await appendAuditRecord(options.auditLog, record);
    return { judgement, record, policyOrigin: loaded.origin };
  } finally {
    repository.close();
  }
}
