import { isOwnerId } from '../../crypto/keys.js';
import type { LintRule } from './rule.js';

export const glymphOwnerId: LintRule = {
  id: 'NS011',
  name: 'glymph-owner-id',
  severity: 'warning',
  rationale:
    'owner_id is GLYMPH: plus the 64-hex SHA-256 key id of the owner key; anything else cannot be registered.',
  check(spec, _context, report) {
    const ownerId = spec.identity.owner_id;
    if (!isOwnerId(ownerId)) {
      report(
        '/identity/owner_id',
        `\`identity.owner_id\` is ${JSON.stringify(ownerId)}; must be GLYMPH: followed by 64 lowercase hex digits (the owner key id; \`matriz register --set-owner\` fills it in)`,
      );
    }
  },
};
