/** Atomic file replacement: packages/governance/src/files/atomic-file.ts, shared. */
export { writeFileAtomic } from 'matriz-governance/files';
