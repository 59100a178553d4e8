import type { RuleDescriptor } from '../finding.js';
import type { NodeSpec } from '../nodespec.js';

export interface LintContext {
  /** The instant "now" for time-dependent rules. */
  readonly now: Date;
}

/** A lint rule: a stable descriptor and a check over a schema-valid NodeSpec. */
export interface LintRule extends RuleDescriptor {
  check(spec: NodeSpec, context: LintContext, report: Reporter): void;
}

/** Reports a finding at a JSON Pointer; `key` places it on the member name, not its value. */
export type Reporter = (pointer: string, message: string, at?: 'key') => void;
