/** Field-by-field differences between the protection a branch should have and the one it has. */
import type { ProtectionState, ReviewState } from './protection-state.js';

export interface ProtectionDrift {
  /** Dotted path in the PUT body's terms, e.g. `required_status_checks.contexts`. */
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
  /** One line a person reads. */
  readonly message: string;
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

function differs(field: string, expected: unknown, actual: unknown): ProtectionDrift {
  return {
    field,
    expected,
    actual,
    message: `${field}: expected ${show(expected)}, found ${show(actual)}`,
  };
}

export function protectionDrift(
  desired: ProtectionState,
  current: ProtectionState,
): ProtectionDrift[] {
  const drift: ProtectionDrift[] = [];
  const want = desired.required_status_checks;
  const have = current.required_status_checks;
  if (want === null || have === null) {
    if (want !== have)
      drift.push({
        ...differs('required_status_checks', want, have),
        message:
          want === null
            ? `required_status_checks: expected none, found ${show(have)}`
            : `required_status_checks: expected ${show(want)}, found none (no check is required)`,
      });
  } else {
    if (want.strict !== have.strict)
      drift.push(differs('required_status_checks.strict', want.strict, have.strict));
    const missing = want.contexts.filter((c) => !have.contexts.includes(c));
    const extra = have.contexts.filter((c) => !want.contexts.includes(c));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [
        ...(missing.length > 0 ? [`missing ${missing.map(show).join(', ')}`] : []),
        ...(extra.length > 0 ? [`unexpected ${extra.map(show).join(', ')}`] : []),
      ];
      drift.push({
        field: 'required_status_checks.contexts',
        expected: want.contexts,
        actual: have.contexts,
        message: `required_status_checks.contexts: ${parts.join('; ')}`,
      });
    }
  }
  if (desired.enforce_admins !== current.enforce_admins)
    drift.push(differs('enforce_admins', desired.enforce_admins, current.enforce_admins));

  const wantReviews = desired.required_pull_request_reviews;
  const haveReviews = current.required_pull_request_reviews;
  if (wantReviews === null || haveReviews === null) {
    if (wantReviews !== haveReviews)
      drift.push(differs('required_pull_request_reviews', wantReviews, haveReviews));
  } else {
    for (const key of [
      'required_approving_review_count',
      'require_code_owner_reviews',
      'dismiss_stale_reviews',
      'require_last_push_approval',
    ] as const satisfies readonly (keyof ReviewState)[]) {
      // A review count the configuration leaves out is GitHub's to choose.
      if (wantReviews[key] === undefined) continue;
      if (wantReviews[key] !== haveReviews[key])
        drift.push(
          differs(`required_pull_request_reviews.${key}`, wantReviews[key], haveReviews[key]),
        );
    }
  }
  if (desired.restrictions !== current.restrictions)
    drift.push({
      field: 'restrictions',
      expected: null,
      actual: 'set',
      message:
        'restrictions: push restrictions are set on GitHub but not managed here (apply removes them)',
    });
  for (const key of [
    'required_linear_history',
    'allow_force_pushes',
    'allow_deletions',
    'required_conversation_resolution',
  ] as const) {
    if (desired[key] !== current[key]) drift.push(differs(key, desired[key], current[key]));
  }
  return drift;
}
