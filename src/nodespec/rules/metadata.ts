import type { LintRule } from './rule.js';

// Semantic Versioning 2.0.0, the regular expression recommended at semver.org.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const semverVersion: LintRule = {
  id: 'NS001',
  name: 'semver-version',
  severity: 'error',
  rationale:
    'Registry ids are <name>@<version> and versions are immutable; Semantic Versioning makes them comparable.',
  check(spec, _context, report) {
    const { version } = spec.metadata;
    if (!SEMVER.test(version)) {
      report(
        '/metadata/version',
        `\`metadata.version\` is ${JSON.stringify(version)}; must be a Semantic Versioning 2.0.0 version such as 1.4.0`,
      );
    }
  },
};

let memo = { time: Number.NaN, date: '' };

/** The latest calendar date anywhere on Earth at `now` (UTC+14), so no time zone sees a false alarm. */
function latestDateOnEarth(now: Date): string {
  const time = now.getTime();
  if (time !== memo.time)
    memo = { time, date: new Date(time + 14 * 3600 * 1000).toISOString().slice(0, 10) };
  return memo.date;
}

export const createdInPast: LintRule = {
  id: 'NS010',
  name: 'created-at-not-in-future',
  severity: 'error',
  rationale:
    'A creation date in the future is a typo or a wrong clock, and it breaks ordering by age.',
  check(spec, context, report) {
    const latest = latestDateOnEarth(context.now);
    if (spec.metadata.created_at > latest) {
      report(
        '/metadata/created_at',
        `\`metadata.created_at\` is ${spec.metadata.created_at}, which is in the future (today is ${latest} at the latest)`,
      );
    }
  },
};
