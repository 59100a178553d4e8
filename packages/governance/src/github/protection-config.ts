/**
 * Branch protection as code (`.github/protection.yml`). The `protection` section uses the field
 * names of GitHub's REST body for `PUT /repos/{owner}/{repo}/branches/{branch}/protection`, so
 * GitHub's documentation explains every field:
 * https://docs.github.com/rest/branches/branch-protection#update-branch-protection
 *
 * ```yaml
 * protection:
 *   required_status_checks:
 *     strict: true
 *     contexts: [gates, noop-guard]   # each required check is its own context
 *   enforce_admins: true
 *   required_pull_request_reviews:
 *     required_approving_review_count: 1
 *     require_code_owner_reviews: true
 *   required_linear_history: true
 * security_sensitive_paths:          # checked against .github/CODEOWNERS by --check
 *   - src/crypto/**
 * ```
 *
 * Fields left out keep GitHub's defaults. `restrictions` (who may push) is not managed here and is
 * always sent as null.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseConfigYaml, readConfigFile } from '../yaml-config.js';

/** The managed fields of the PUT body; `restrictions` is always null. */
export interface ProtectionBody {
  required_status_checks: { strict: boolean; contexts: string[] } | null;
  enforce_admins: boolean | null;
  required_pull_request_reviews: {
    required_approving_review_count?: number;
    require_code_owner_reviews?: boolean;
    dismiss_stale_reviews?: boolean;
    require_last_push_approval?: boolean;
  } | null;
  restrictions: null;
  required_linear_history?: boolean;
  allow_force_pushes?: boolean;
  allow_deletions?: boolean;
  required_conversation_resolution?: boolean;
}

export interface ProtectionConfig {
  readonly body: ProtectionBody;
  readonly securitySensitivePaths: readonly string[];
}

export interface ProtectionConfigError {
  readonly code: 'protection-config-unreadable' | 'protection-config-invalid';
  readonly message: string;
}

export type ProtectionConfigResult =
  | { readonly ok: true; readonly config: ProtectionConfig }
  | { readonly ok: false; readonly error: ProtectionConfigError };

const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['protection'],
  properties: {
    protection: {
      type: 'object',
      additionalProperties: false,
      properties: {
        required_status_checks: {
          type: ['object', 'null'],
          additionalProperties: false,
          required: ['contexts'],
          properties: {
            strict: { type: 'boolean' },
            contexts: {
              type: 'array',
              uniqueItems: true,
              // A comma in a context is the prototype's bug: several checks joined into one name.
              items: { type: 'string', minLength: 1, pattern: '^[^,]+$' },
            },
          },
        },
        enforce_admins: { type: ['boolean', 'null'] },
        required_pull_request_reviews: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            required_approving_review_count: { type: 'integer', minimum: 0, maximum: 6 },
            require_code_owner_reviews: { type: 'boolean' },
            dismiss_stale_reviews: { type: 'boolean' },
            require_last_push_approval: { type: 'boolean' },
          },
        },
        required_linear_history: { type: 'boolean' },
        allow_force_pushes: { type: 'boolean' },
        allow_deletions: { type: 'boolean' },
        required_conversation_resolution: { type: 'boolean' },
      },
    },
    security_sensitive_paths: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
} as const;

interface ConfigDocument {
  protection: Partial<Omit<ProtectionBody, 'required_status_checks' | 'restrictions'>> & {
    required_status_checks?: { strict?: boolean; contexts: string[] } | null;
  };
  security_sensitive_paths?: string[];
}

const validateConfig = new Ajv2020({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
}).compile<ConfigDocument>(CONFIG_SCHEMA);

export async function loadProtectionConfig(file: string): Promise<ProtectionConfigResult> {
  const read = await readConfigFile(file);
  if (!read.ok)
    return { ok: false, error: { code: 'protection-config-unreadable', message: read.message } };
  return parseProtectionConfig(read.text, file);
}

export function parseProtectionConfig(text: string, file: string): ProtectionConfigResult {
  const parsed = parseConfigYaml(text, file, validateConfig, {
    advice: (e) =>
      e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
        : e.keyword === 'pattern' && e.instancePath.includes('/contexts/')
          ? ': list each required check as its own context, never comma-joined'
          : '',
  });
  if (!parsed.ok) return invalid(parsed.message);
  const document = parsed.document;
  const p = document.protection;
  const checks = p.required_status_checks;
  const body: ProtectionBody = {
    required_status_checks:
      checks === undefined || checks === null
        ? null
        : { strict: checks.strict ?? false, contexts: [...checks.contexts] },
    enforce_admins: p.enforce_admins ?? null,
    required_pull_request_reviews: p.required_pull_request_reviews ?? null,
    restrictions: null,
  };
  for (const key of [
    'required_linear_history',
    'allow_force_pushes',
    'allow_deletions',
    'required_conversation_resolution',
  ] as const) {
    const value = p[key];
    if (value !== undefined) body[key] = value;
  }
  return {
    ok: true,
    config: { body, securitySensitivePaths: document.security_sensitive_paths ?? [] },
  };
}

function invalid(message: string): ProtectionConfigResult {
  return { ok: false, error: { code: 'protection-config-invalid', message } };
}
