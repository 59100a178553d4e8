/**
 * The guard's configuration file (YAML or JSON, e.g. `.matriz/noop.yml`). Every list adds to the
 * built-in defaults; nothing here can make a default rule laxer except the explicit relaxations
 * (`comments`, `renames`, `modeChanges`, `generated`), and each of those shows in the reasons.
 *
 * ```yaml
 * comments: substantive          # or not-substantive: only semantic comments count
 * semanticComments: ['@generated'] # more regular expressions for semantic comments
 * byteExact: ['golden/**']
 * renames: ['docs/**']           # identical-content renames here are no-ops
 * modeChanges: ['assets/**']     # 100644 <-> 100755 here is a no-op
 * generated:
 *   - paths: ['src/version.ts']
 *     volatile: ['^export const BUILT_AT = ']
 * orderSensitiveJson:
 *   - paths: ['**\/tsconfig.json']
 *     pointers: ['/compilerOptions/paths']
 * ```
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseConfigYaml, readConfigFile } from '../yaml-config.js';
import { sha256Digest } from '../digest/digest.js';
import { DEFAULT_POLICY_SOURCE, type NoopPolicySource } from './policy.js';

export interface NoopConfigError {
  readonly code: 'noop-config-unreadable' | 'noop-config-invalid';
  readonly message: string;
}

export type NoopConfigResult =
  | { readonly ok: true; readonly policy: NoopPolicySource; readonly digest: string }
  | { readonly ok: false; readonly error: NoopConfigError };

const globList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    comments: { enum: ['substantive', 'not-substantive'] },
    semanticComments: globList,
    byteExact: globList,
    renames: globList,
    modeChanges: globList,
    generated: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['paths', 'volatile'],
        properties: { paths: { ...globList, minItems: 1 }, volatile: { ...globList, minItems: 1 } },
      },
    },
    orderSensitiveJson: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['paths', 'pointers'],
        properties: {
          paths: { ...globList, minItems: 1 },
          pointers: { type: 'array', items: { type: 'string', pattern: '^(/[^/]*)+$' } },
        },
      },
    },
  },
} as const;

const validateConfig = new Ajv2020({ allErrors: true, strict: true }).compile<
  Partial<NoopPolicySource>
>(CONFIG_SCHEMA);

/** The digest of the built-in policy, recorded when no configuration file is given. */
export const DEFAULT_POLICY_DIGEST = sha256Digest(DEFAULT_POLICY_SOURCE);

export async function loadNoopConfig(file: string): Promise<NoopConfigResult> {
  const read = await readConfigFile(file);
  if (!read.ok)
    return { ok: false, error: { code: 'noop-config-unreadable', message: read.message } };
  return parseNoopConfig(read.text, file);
}

export function parseNoopConfig(text: string, file: string): NoopConfigResult {
  const parsed = parseConfigYaml(text, file, validateConfig, { empty: {}, format: 'YAML or JSON' });
  if (!parsed.ok) return invalid(parsed.message);
  const document = parsed.document;
  const policy: NoopPolicySource = { ...DEFAULT_POLICY_SOURCE, ...document };
  const patterns: [string, readonly string[]][] = [
    ['semanticComments', policy.semanticComments],
    ...policy.generated.map((entry, index): [string, readonly string[]] => [
      `generated/${index}/volatile`,
      entry.volatile,
    ]),
  ];
  for (const [where, list] of patterns) {
    for (const [index, pattern] of list.entries()) {
      try {
        new RegExp(pattern, 'u');
      } catch (error) {
        return invalid(
          `${file}: /${where}/${index}: not a regular expression: ${(error as Error).message}`,
        );
      }
    }
  }
  return { ok: true, policy, digest: sha256Digest(policy) };
}

function invalid(message: string): NoopConfigResult {
  return { ok: false, error: { code: 'noop-config-invalid', message } };
}
