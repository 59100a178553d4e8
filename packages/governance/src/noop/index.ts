/** The No-Op guard: refuses changes that change nothing of substance, and never a real one. */
export { judgeChange, type ChangeJudgement } from './change-judgement.js';
export { compareContent, MAX_COMPARED_BYTES } from './content-equality.js';
export { GitError, GitRepository, type GitErrorCode } from './git-object-store.js';
export {
  DEFAULT_POLICY_DIGEST,
  loadNoopConfig,
  parseNoopConfig,
  type NoopConfigError,
  type NoopConfigResult,
} from './noop-config.js';
export type { PathDecision, Verdict } from './path-decision.js';
export {
  compilePolicy,
  DEFAULT_POLICY_SOURCE,
  type NoopPolicy,
  type NoopPolicySource,
} from './policy.js';
export {
  NOOP_REASONS,
  REASON_DESCRIPTIONS,
  type NoopReason,
  type Reason,
  type SubstantiveReason,
} from './reasons.js';
