/** The in-process CLI harness, shared with the governance package's tests. */
export { captureIo, type CapturedIo } from '../../packages/governance/test/support/cli.js';
