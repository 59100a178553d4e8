/**
 * `matriz-governance/cli`: the same light pieces as `matriz-governance/cli/core` (core.ts). The
 * governance command groups, which load the TypeScript compiler, are `matriz-governance/commands`.
 */
export * from './core.js';
