/**
 * The gate configuration (`.matriz/gates.yml`): a top-level `gates:` list. Each gate is a shell
 * command (`sh -c`) with a timeout in seconds; gates are required unless `required: false`; a
 * failing gate may be covered by a waiver until the waiver expires.
 *
 * ```yaml
 * gates:
 *   - name: unit-tests
 *     command: npm test
 *     timeout: 900
 *   - name: flaky-thing
 *     command: ./check.sh
 *     timeout: 60
 *     required: true
 *     waiver: { issue: 42, reason: "upstream outage", expires: 2026-12-31 }
 * ```
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseConfigYaml, readConfigFile } from '../yaml-config.js';
import { parseWaiverExpiry, type Waiver } from './waiver.js';

export interface Gate {
  readonly name: string;
  readonly command: string;
  readonly timeoutSeconds: number;
  readonly required: boolean;
  readonly waiver?: Waiver;
}

export interface GateConfigError {
  readonly code: 'gates-unreadable' | 'gates-invalid';
  readonly message: string;
}

export type GateConfigResult =
  | { readonly ok: true; readonly gates: readonly Gate[] }
  | { readonly ok: false; readonly error: GateConfigError };

/** Gate names become log file names, so they are restricted to a portable file-name alphabet. */
export const GATE_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';

const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['gates'],
  properties: {
    gates: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'command', 'timeout'],
        properties: {
          name: { type: 'string', pattern: GATE_NAME_PATTERN },
          command: { type: 'string', minLength: 1 },
          timeout: { type: 'number', exclusiveMinimum: 0, maximum: 86400 },
          required: { type: 'boolean' },
          waiver: {
            type: 'object',
            additionalProperties: false,
            required: ['issue', 'reason', 'expires'],
            properties: {
              issue: { type: ['integer', 'string'], minLength: 1, minimum: 1 },
              reason: { type: 'string', minLength: 1 },
              expires: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

interface GateDocument {
  gates: {
    name: string;
    command: string;
    timeout: number;
    required?: boolean;
    waiver?: { issue: number | string; reason: string; expires: string };
  }[];
}

const validateConfig = new Ajv2020({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
}).compile<GateDocument>(CONFIG_SCHEMA);

export async function loadGateConfig(file: string): Promise<GateConfigResult> {
  const read = await readConfigFile(file);
  if (!read.ok) return { ok: false, error: { code: 'gates-unreadable', message: read.message } };
  return parseGateConfig(read.text, file);
}

export function parseGateConfig(text: string, file: string): GateConfigResult {
  // YAML 1.2 core schema: `expires: 2026-12-31` stays a string, to be checked as a date.
  const parsed = parseConfigYaml(text, file, validateConfig);
  if (!parsed.ok) return invalid(parsed.message);
  const document = parsed.document;
  const gates: Gate[] = [];
  const seen = new Set<string>();
  for (const [index, gate] of document.gates.entries()) {
    if (seen.has(gate.name))
      return invalid(`${file}: /gates/${index}/name: gate "${gate.name}" is defined twice`);
    seen.add(gate.name);
    let waiver: Waiver | undefined;
    if (gate.waiver) {
      const expires = parseWaiverExpiry(gate.waiver.expires);
      if (expires === undefined)
        return invalid(
          `${file}: /gates/${index}/waiver/expires: ${JSON.stringify(gate.waiver.expires)} is not a date (YYYY-MM-DD) or an RFC 3339 date-time`,
        );
      waiver = {
        issue: String(gate.waiver.issue),
        reason: gate.waiver.reason,
        expires,
        expiresText: gate.waiver.expires,
      };
    }
    gates.push({
      name: gate.name,
      command: gate.command,
      timeoutSeconds: gate.timeout,
      required: gate.required ?? true,
      ...(waiver ? { waiver } : {}),
    });
  }
  return { ok: true, gates };
}

function invalid(message: string): GateConfigResult {
  return { ok: false, error: { code: 'gates-invalid', message } };
}
