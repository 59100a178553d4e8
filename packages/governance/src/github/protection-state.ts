/**
 * The comparable state of a branch's protection. GitHub's GET answer and the PUT body describe
 * the same settings in different shapes (`enforce_admins: {url, enabled}` versus `true`, checks
 * as `contexts` and as `checks`, absent sections meaning "off"); both are normalized to this
 * shape, with GitHub's documented defaults filled in, before they are compared.
 */
import type { ProtectionBody } from './protection-config.js';

export interface ReviewState {
  readonly required_approving_review_count?: number;
  readonly require_code_owner_reviews: boolean;
  readonly dismiss_stale_reviews: boolean;
  readonly require_last_push_approval: boolean;
}

export interface ProtectionState {
  readonly required_status_checks: {
    readonly strict: boolean;
    readonly contexts: readonly string[];
  } | null;
  readonly enforce_admins: boolean;
  readonly required_pull_request_reviews: ReviewState | null;
  /** Push restrictions: not managed, so only whether any are set. */
  readonly restrictions: boolean;
  readonly required_linear_history: boolean;
  readonly allow_force_pushes: boolean;
  readonly allow_deletions: boolean;
  readonly required_conversation_resolution: boolean;
}

/** What a branch without protection is equivalent to. */
export const UNPROTECTED: ProtectionState = {
  required_status_checks: null,
  enforce_admins: false,
  required_pull_request_reviews: null,
  restrictions: false,
  required_linear_history: false,
  allow_force_pushes: false,
  allow_deletions: false,
  required_conversation_resolution: false,
};

function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

/**
 * The state the PUT body asks for. Omitted booleans take GitHub's documented defaults (all
 * `false`); an omitted review count is left unset (GitHub documents no default for it), so it is
 * not compared.
 */
export function desiredState(body: ProtectionBody): ProtectionState {
  const reviews = body.required_pull_request_reviews;
  return {
    required_status_checks: body.required_status_checks && {
      strict: body.required_status_checks.strict,
      contexts: sortedUnique(body.required_status_checks.contexts),
    },
    enforce_admins: body.enforce_admins ?? false,
    required_pull_request_reviews: reviews && {
      ...(reviews.required_approving_review_count === undefined
        ? {}
        : { required_approving_review_count: reviews.required_approving_review_count }),
      require_code_owner_reviews: reviews.require_code_owner_reviews ?? false,
      dismiss_stale_reviews: reviews.dismiss_stale_reviews ?? false,
      require_last_push_approval: reviews.require_last_push_approval ?? false,
    },
    restrictions: false,
    required_linear_history: body.required_linear_history ?? false,
    allow_force_pushes: body.allow_force_pushes ?? false,
    allow_deletions: body.allow_deletions ?? false,
    required_conversation_resolution: body.required_conversation_resolution ?? false,
  };
}

/** The subset of GitHub's `branch-protection` GET schema this module reads. */
export interface BranchProtectionResponse {
  required_status_checks?: {
    strict?: boolean;
    contexts?: string[];
    checks?: { context: string; app_id: number | null }[];
  };
  enforce_admins?: { enabled: boolean };
  required_pull_request_reviews?: {
    required_approving_review_count?: number;
    require_code_owner_reviews?: boolean;
    dismiss_stale_reviews?: boolean;
    require_last_push_approval?: boolean;
  };
  restrictions?: unknown;
  required_linear_history?: { enabled?: boolean };
  allow_force_pushes?: { enabled?: boolean };
  allow_deletions?: { enabled?: boolean };
  required_conversation_resolution?: { enabled?: boolean };
}

/** Normalizes a GET /repos/{owner}/{repo}/branches/{branch}/protection answer. */
export function currentState(response: BranchProtectionResponse): ProtectionState {
  const checks = response.required_status_checks;
  const reviews = response.required_pull_request_reviews;
  return {
    required_status_checks: checks
      ? {
          strict: checks.strict ?? false,
          // `contexts` is deprecated in favour of `checks`; GitHub fills both, read either.
          contexts: sortedUnique([
            ...(checks.contexts ?? []),
            ...(checks.checks ?? []).map((c) => c.context),
          ]),
        }
      : null,
    enforce_admins: response.enforce_admins?.enabled ?? false,
    required_pull_request_reviews: reviews
      ? {
          ...(reviews.required_approving_review_count === undefined
            ? {}
            : { required_approving_review_count: reviews.required_approving_review_count }),
          require_code_owner_reviews: reviews.require_code_owner_reviews ?? false,
          dismiss_stale_reviews: reviews.dismiss_stale_reviews ?? false,
          require_last_push_approval: reviews.require_last_push_approval ?? false,
        }
      : null,
    restrictions: response.restrictions !== undefined && response.restrictions !== null,
    required_linear_history: response.required_linear_history?.enabled ?? false,
    allow_force_pushes: response.allow_force_pushes?.enabled ?? false,
    allow_deletions: response.allow_deletions?.enabled ?? false,
    required_conversation_resolution: response.required_conversation_resolution?.enabled ?? false,
  };
}
