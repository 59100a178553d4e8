/**
 * What a red-team case saw, for the run report (`npm run test:redteam -- --report FILE`): each
 * call appends one line to the running test's `meta.observed`, which vitest sends to the
 * reporter with the result (vitest "Task Metadata"). Outside a test (hooks) it does nothing.
 */
import { TestRunner } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** What the case observed, in order: `401 bad-signature`, `tree size 3 (unchanged)`. */
    observed?: string[];
  }
}

/** At most this many lines per case: a flood case observes hundreds of identical answers. */
const MAX_LINES = 20;

export function observe(line: string): void {
  const test = TestRunner.getCurrentTest();
  if (!test) return;
  const observed = (test.meta.observed ??= []);
  if (observed.at(-1) === line || observed.length >= MAX_LINES) return;
  observed.push(line);
}

/** The one-line summary of an HTTP answer: status and problem type slug, or content type. */
export function describeAnswer(answer: { status: number; body: unknown; type: string }): string {
  const body = answer.body as { type?: unknown } | null;
  const problemType =
    typeof body === 'object' && body !== null && typeof body.type === 'string' ? body.type : '';
  const slug = problemType.startsWith('urn:matriz:problem:')
    ? problemType.slice('urn:matriz:problem:'.length)
    : (answer.type.split(';')[0] ?? '');
  return `${answer.status} ${slug}`.trim();
}
