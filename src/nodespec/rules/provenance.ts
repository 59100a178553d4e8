import {
  CLASSICAL_ALGORITHMS,
  LEGACY_ALGORITHM_ALIASES,
  SIGNATURE_ALGORITHMS,
  isSignatureAlgorithm,
} from '../../crypto/algorithms.js';
import type { LintRule } from './rule.js';

const POINTER = '/provenance_manifest/signing_scheme';

export const knownSigningScheme: LintRule = {
  id: 'NS007',
  name: 'known-signing-scheme',
  severity: 'error',
  rationale: 'The registry can only verify signatures made with algorithms it implements.',
  check(spec, _context, report) {
    const scheme = spec.provenance_manifest.signing_scheme;
    if (scheme === undefined || isSignatureAlgorithm(scheme) || scheme in LEGACY_ALGORITHM_ALIASES)
      return;
    report(
      POINTER,
      `\`provenance_manifest.signing_scheme\` is ${JSON.stringify(scheme)}; must be one of ${SIGNATURE_ALGORITHMS.join(', ')}`,
    );
  },
};

export const legacySigningScheme: LintRule = {
  id: 'NS008',
  name: 'legacy-signing-scheme',
  severity: 'warning',
  rationale:
    'Dilithium names predate FIPS 204; ML-DSA is the standardized algorithm the registry uses.',
  check(spec, _context, report) {
    const scheme = spec.provenance_manifest.signing_scheme;
    const standard = scheme === undefined ? undefined : LEGACY_ALGORITHM_ALIASES[scheme];
    if (standard !== undefined) {
      report(
        POINTER,
        `\`provenance_manifest.signing_scheme\` ${JSON.stringify(scheme)} is a legacy name; use ${JSON.stringify(standard)} (FIPS 204)`,
      );
    }
  },
};

export const pqcCompatNeedsPqcScheme: LintRule = {
  id: 'NS009',
  name: 'pqc-compat-scheme',
  severity: 'error',
  rationale:
    'A node that claims post-quantum compatibility must not sign with a classical-only algorithm.',
  check(spec, _context, report) {
    const { pqc_compat: pqcCompat, signing_scheme: scheme } = spec.provenance_manifest;
    if (
      pqcCompat === true &&
      scheme !== undefined &&
      isSignatureAlgorithm(scheme) &&
      CLASSICAL_ALGORITHMS.has(scheme)
    ) {
      report(
        '/provenance_manifest/pqc_compat',
        `\`provenance_manifest.pqc_compat\` is true but \`signing_scheme\` ${JSON.stringify(scheme)} is classical-only; use an ML-DSA or Falcon scheme`,
      );
    }
  },
};
