/**
 * The registry's rules for an entry of the prototype registry: which of them this registry can
 * hold, and under which id. Shared by `matriz import-legacy` (which reports each entry it must
 * leave out before anything is signed) and `EntryLedger.applyControl` (which decides the signed
 * record at integration, and again in fsck's replay).
 *
 * The prototype keyed entries `<metadata.name>::<whole unix seconds>` (a name may itself hold
 * `::`, so the seconds follow the last one); this registry keys them `<name>@<version>`. An entry
 * is imported only when its NodeSpec is valid under nodespec.v1 as stored (nothing is repaired),
 * its id's name is the NodeSpec's name, and the new id follows the registry id grammar.
 */
import { sha256Digest } from '../crypto/digest.js';
import { canonicalize } from '../json/canonicalize.js';
import type { NodeSpec } from '../nodespec/nodespec.js';
import { validateNodeSpec } from '../nodespec/validate.js';
import { isRegistryId, registryIdOf } from './request.js';

export type LegacyEntryCheck =
  | {
      readonly ok: true;
      readonly registryId: string;
      readonly nodeSpec: NodeSpec;
      /** RFC 8785 canonical JSON of the NodeSpec, as the registry stores it. */
      readonly canonicalSpec: string;
      readonly specDigest: string;
    }
  | { readonly ok: false; readonly reason: string };

const SHOWN_FINDINGS = 3;

/** Checks one prototype entry, `legacyId` and its stored `node_spec`, against the rules above. */
export function checkLegacyEntry(legacyId: string, nodeSpec: unknown): LegacyEntryCheck {
  const cut = legacyId.lastIndexOf('::');
  const name = cut < 0 ? '' : legacyId.slice(0, cut);
  const seconds = cut < 0 ? '' : legacyId.slice(cut + 2);
  if (name === '' || !/^\d+$/.test(seconds))
    return { ok: false, reason: `the id is not <name>::<unix seconds>` };
  const validation = validateNodeSpec(nodeSpec);
  if (!validation.valid) {
    const shown = validation.findings
      .slice(0, SHOWN_FINDINGS)
      .map((f) => `${f.pointer || '/'}: ${f.message}`)
      .join('; ');
    const more = validation.findings.length - SHOWN_FINDINGS;
    return {
      ok: false,
      reason: `the NodeSpec is not valid under nodespec.v1: ${shown}${more > 0 ? ` (and ${more} more)` : ''}`,
    };
  }
  const spec = validation.nodeSpec;
  if (spec.metadata.name !== name)
    return {
      ok: false,
      reason: `the id names ${JSON.stringify(name)} but the NodeSpec's metadata.name is ${JSON.stringify(spec.metadata.name)}`,
    };
  const registryId = registryIdOf(spec);
  if (!isRegistryId(registryId))
    return {
      ok: false,
      reason: `${JSON.stringify(registryId)} is not a registry id <name>@<version> (metadata.version ${JSON.stringify(spec.metadata.version)})`,
    };
  const canonicalSpec = canonicalize(spec);
  return {
    ok: true,
    registryId,
    nodeSpec: spec,
    canonicalSpec,
    specDigest: sha256Digest(canonicalSpec),
  };
}
