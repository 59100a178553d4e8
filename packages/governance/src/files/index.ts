/** File writes readers can trust: atomic replacement, append-only audit logs. */
export { writeFileAtomic } from './atomic-file.js';
export { appendAuditRecord } from './audit-log.js';
