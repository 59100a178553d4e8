/**
 * The governance command groups (`guard`, `gates`, `github`), as `matriz` and
 * `matriz-governance` list them. Heavy: the No-Op guard loads the TypeScript compiler.
 */
export { gatesCommand } from './gates.js';
export { gitHubCommand } from './github.js';
export { guardCommand } from './guard.js';
export { GOVERNANCE_COMMAND_GROUPS, main } from '../main.js';
