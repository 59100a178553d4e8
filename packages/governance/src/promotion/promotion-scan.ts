/**
 * Finds promotion markers in production lanes: in the files a change adds or modifies (`--base`
 * / `--head`), or in every file of the lanes (`--all`). For a change it also finds the markers
 * the change removed from lane files, because removing `TEMP-STUB(#12)` while issue #12 is still
 * open promotes work its own tracker says is unfinished.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { laneMatcher, type LaneManifest } from './lane-manifest.js';
import { markerScanner, type Marker } from './marker.js';
import {
  changedFiles,
  fileAtRevision,
  filesWithOldContents,
  mergeBase,
  resolveCommit,
} from './git-revisions.js';

export interface MarkerFinding extends Marker {
  /** Repository-relative path with forward slashes. */
  readonly file: string;
  readonly lane: string;
}

export interface PromotionScan {
  readonly mode: 'change' | 'all';
  /** Full shas of the merge base and head, for a change. */
  readonly base?: string;
  readonly head?: string;
  /** Lane files scanned (the head side of a change). */
  readonly scannedFiles: readonly string[];
  /** Markers present (at head, or in the working tree with `--all`). */
  readonly markers: readonly MarkerFinding[];
  /** Markers with an issue number that the change removed from lane files. */
  readonly removedMarkers: readonly MarkerFinding[];
}

/** Bytes a text file never contains; a NUL near the start means binary (as git decides). */
function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

function scanBytes(
  bytes: Uint8Array,
  file: string,
  lane: string,
  scan: (text: string) => Marker[],
): MarkerFinding[] {
  if (isBinary(bytes)) return [];
  return scan(new TextDecoder().decode(bytes)).map((marker) => ({ ...marker, file, lane }));
}

export async function scanChange(
  cwd: string,
  manifest: LaneManifest,
  baseRevision: string,
  headRevision: string,
): Promise<PromotionScan> {
  const head = await resolveCommit(cwd, headRevision);
  const base = await mergeBase(cwd, await resolveCommit(cwd, baseRevision), head);
  const laneOf = laneMatcher(manifest);
  const scan = markerScanner(manifest.markers);

  const markers: MarkerFinding[] = [];
  const scannedFiles: string[] = [];
  for (const file of await changedFiles(cwd, base, head)) {
    const lane = laneOf(file);
    if (!lane) continue;
    scannedFiles.push(file);
    markers.push(...scanBytes(await fileAtRevision(cwd, head, file), file, lane.name, scan));
  }

  const removedMarkers: MarkerFinding[] = [];
  for (const file of await filesWithOldContents(cwd, base, head)) {
    const lane = laneOf(file);
    if (!lane) continue;
    const stillReferenced = new Set(
      markers.filter((m) => m.file === file && m.issue !== undefined).map((m) => m.issue),
    );
    const before = scanBytes(await fileAtRevision(cwd, base, file), file, lane.name, scan);
    removedMarkers.push(
      ...before.filter((m) => m.issue !== undefined && !stillReferenced.has(m.issue)),
    );
  }
  return { mode: 'change', base, head, scannedFiles, markers, removedMarkers };
}

export async function scanAll(cwd: string, manifest: LaneManifest): Promise<PromotionScan> {
  const laneOf = laneMatcher(manifest);
  const scan = markerScanner(manifest.markers);
  const candidates = await glob(
    manifest.lanes.flatMap((lane) => lane.paths),
    {
      cwd,
      dot: true,
      onlyFiles: true,
      ignore: ['**/node_modules/**', '**/.git/**'],
      expandDirectories: false,
    },
  );
  const markers: MarkerFinding[] = [];
  const scannedFiles: string[] = [];
  for (const file of candidates.sort()) {
    const lane = laneOf(file);
    if (!lane) continue;
    scannedFiles.push(file);
    markers.push(...scanBytes(await readFile(path.join(cwd, file)), file, lane.name, scan));
  }
  return { mode: 'all', scannedFiles, markers, removedMarkers: [] };
}
