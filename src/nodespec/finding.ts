/** What the validator and the linter report, and where. */

export type Severity = 'error' | 'warning';

export interface Finding {
  /** Stable rule id: `json-*` for parse errors, `nodespec-schema`, or a lint rule `NS0xx`. */
  readonly ruleId: string;
  readonly severity: Severity;
  /** A sentence a person understands, naming the field and what it must be. */
  readonly message: string;
  /** JSON Pointer (RFC 6901) of the value the finding is about. */
  readonly pointer: string;
  /** Whether the finding is about a member's name (an unknown field) rather than its value. */
  readonly at?: 'key' | 'value';
}

/** A finding placed in the source text. Lines and columns are 1-based (UTF-16 columns). */
export interface LocatedFinding extends Finding {
  readonly line: number;
  readonly column: number;
}

export interface RuleDescriptor {
  readonly id: string;
  readonly severity: Severity;
  /** Short name, e.g. `semver-version`. */
  readonly name: string;
  /** One line: why the rule exists. */
  readonly rationale: string;
}
