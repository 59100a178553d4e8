import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LANE_MANIFEST,
  laneMatcher,
  loadLaneManifest,
  parseLaneManifest,
} from '../../src/promotion/lane-manifest.js';

describe('lane manifest', () => {
  it('falls back to core/** and lukhas/** with TEMP-STUB when the default file is absent', async () => {
    const result = await loadLaneManifest('/nonexistent/.matriz/lanes.yml', false);
    expect(result).toEqual({ ok: true, manifest: DEFAULT_LANE_MANIFEST });
    const laneOf = laneMatcher(DEFAULT_LANE_MANIFEST);
    expect(laneOf('core/a/b.ts')?.name).toBe('core');
    expect(laneOf('lukhas/.hidden/x')?.name).toBe('lukhas');
    expect(laneOf('candidate/core/x.ts')).toBeUndefined();
  });

  it('keeps the default markers when the file names only lanes', () => {
    const result = parseLaneManifest(
      'production_lanes:\n  - name: prod\n    paths: [src/**]\n',
      'l.yml',
    );
    expect(result.ok && result.manifest.markers).toEqual(['TEMP-STUB']);
  });

  it('refuses unknown keys and bad marker words, naming the file and the field', () => {
    const unknown = parseLaneManifest('lanes: []\n', 'l.yml');
    expect(!unknown.ok && unknown.error.message).toMatch(
      /^l\.yml: .*must NOT have additional properties/,
    );
    const marker = parseLaneManifest('markers: ["TEMP STUB"]\n', 'l.yml');
    expect(!marker.ok && marker.error.message).toContain('/markers/0');
    const yaml = parseLaneManifest('markers: [\n', 'l.yml');
    expect(!yaml.ok && yaml.error.message).toContain('not valid YAML');
  });
});
