/**
 * A NodeSpec's findings as `/validate` answers them: the schema (or, with lint, every rule), at
 * most `limit` listed, with the whole count and the verdict. Pure, so the server runs it in its
 * worker threads (a document built to produce thousands of findings costs the event loop
 * nothing; issue 13, amplification).
 */
import type { Finding } from './finding.js';
import { lintNodeSpec } from './lint.js';
import { validateNodeSpec } from './validate.js';

export interface FindingsReport {
  /** No finding of severity error. */
  readonly valid: boolean;
  /** Every finding, listed or not. */
  readonly count: number;
  /** The first `limit` findings. */
  readonly findings: readonly Finding[];
}

export function reportFindings(document: unknown, lint: boolean, limit: number): FindingsReport {
  const findings: readonly Finding[] = lint
    ? lintNodeSpec(document)
    : validateNodeSpec(document).findings;
  return {
    valid: !findings.some((finding) => finding.severity === 'error'),
    count: findings.length,
    findings: findings.slice(0, limit),
  };
}
