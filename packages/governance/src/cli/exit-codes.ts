/** Exit codes shared by every `matriz` command (docs/cli.md). */
export const EXIT_OK = 0;
/** The input was checked and found wanting: invalid, not canonical, a no-op, blocked. */
export const EXIT_FINDINGS = 1;
/** Bad usage or an I/O error: nothing could be checked as asked. */
export const EXIT_USAGE = 2;

/** A refusal caused by how the command was called or by the file system, not by the input's content. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
