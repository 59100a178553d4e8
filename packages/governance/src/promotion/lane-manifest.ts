/**
 * The lane manifest (`.matriz/lanes.yml`): which paths are production lanes and which markers
 * block promotion into them.
 *
 * ```yaml
 * production_lanes:
 *   - name: core
 *     paths: ["core/**"]
 *     exclude: ["core/testdata/**"]   # optional
 * markers: [TEMP-STUB]
 * ```
 */
import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';

export interface Lane {
  readonly name: string;
  readonly paths: readonly string[];
  readonly exclude: readonly string[];
}

export interface LaneManifest {
  readonly lanes: readonly Lane[];
  readonly markers: readonly string[];
}

/** DESIGN.md: the production lanes of a MATRIZ codebase, and the prototype's stub marker. */
export const DEFAULT_LANE_MANIFEST: LaneManifest = {
  lanes: [
    { name: 'core', paths: ['core/**'], exclude: [] },
    { name: 'lukhas', paths: ['lukhas/**'], exclude: [] },
  ],
  markers: ['TEMP-STUB'],
};

export interface LaneManifestError {
  readonly code: 'lanes-unreadable' | 'lanes-invalid';
  readonly message: string;
}

export type LaneManifestResult =
  | { readonly ok: true; readonly manifest: LaneManifest }
  | { readonly ok: false; readonly error: LaneManifestError };

const MANIFEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    production_lanes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'paths'],
        properties: {
          name: { type: 'string', minLength: 1 },
          paths: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          exclude: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
    },
    markers: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
    },
  },
} as const;

interface ManifestDocument {
  production_lanes?: { name: string; paths: string[]; exclude?: string[] }[];
  markers?: string[];
}

const validateManifest = new Ajv2020({ allErrors: true, strict: true }).compile<ManifestDocument>(
  MANIFEST_SCHEMA,
);

/**
 * Reads a lane manifest. A missing file is an error only when `required` (the user named it);
 * otherwise the defaults apply. Keys left out of the file keep their defaults.
 */
export async function loadLaneManifest(
  file: string,
  required: boolean,
): Promise<LaneManifestResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT')
      return { ok: true, manifest: DEFAULT_LANE_MANIFEST };
    return {
      ok: false,
      error: { code: 'lanes-unreadable', message: `${file}: ${(error as Error).message}` },
    };
  }
  return parseLaneManifest(text, file);
}

export function parseLaneManifest(text: string, file: string): LaneManifestResult {
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    return invalid(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  if (!validateManifest(document)) {
    const details = (validateManifest.errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
      .join('; ');
    return invalid(
      `${file}: ${details} (expected production_lanes: [{name, paths, exclude?}], markers: [..])`,
    );
  }
  return {
    ok: true,
    manifest: {
      lanes:
        document.production_lanes?.map((lane) => ({
          name: lane.name,
          paths: lane.paths,
          exclude: lane.exclude ?? [],
        })) ?? DEFAULT_LANE_MANIFEST.lanes,
      markers: document.markers ?? DEFAULT_LANE_MANIFEST.markers,
    },
  };
}

function invalid(message: string): LaneManifestResult {
  return { ok: false, error: { code: 'lanes-invalid', message } };
}

/** Returns a function naming the production lane a repository-relative path is in, if any. */
export function laneMatcher(manifest: LaneManifest): (file: string) => Lane | undefined {
  const matchers = manifest.lanes.map((lane) => ({
    lane,
    included: picomatch([...lane.paths], { dot: true }),
    excluded: lane.exclude.length > 0 ? picomatch([...lane.exclude], { dot: true }) : () => false,
  }));
  return (file) => {
    const normalized = file.replaceAll('\\', '/');
    return matchers.find((m) => m.included(normalized) && !m.excluded(normalized))?.lane;
  };
}
