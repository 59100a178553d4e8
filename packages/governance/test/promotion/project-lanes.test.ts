import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadLaneManifest } from '../../src/promotion/lane-manifest.js';
import { scanAll } from '../../src/promotion/promotion-scan.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

describe("the project's own production lanes (.matriz/lanes.yml)", () => {
  it('cover the shipped sources and hold no TEMP-STUB marker', async () => {
    const manifest = await loadLaneManifest(`${root}.matriz/lanes.yml`, true);
    if (!manifest.ok) throw new Error(manifest.error.message);
    const scan = await scanAll(root, manifest.manifest);
    expect(scan.scannedFiles).toContain('src/cli/main.ts');
    expect(scan.scannedFiles).toContain('schemas/nodespec.v1.schema.json');
    expect(scan.scannedFiles).toContain('packages/governance/src/noop/noop-guard.ts');
    expect(scan.scannedFiles).toContain('packages/governance/bin/matriz-governance.js');
    expect(scan.scannedFiles).not.toContain('packages/governance/src/promotion/marker.ts');
    expect(scan.markers).toEqual([]);
  });
});
