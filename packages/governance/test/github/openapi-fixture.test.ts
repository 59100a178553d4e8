/**
 * The OpenAPI subset the fake GitHub validates against is derived from GitHub's published
 * description in @octokit/openapi (about 385 MB unpacked). The package is not a dependency, so
 * `npm ci` stays small: this check runs in its own opt-in job
 * (.github/workflows/openapi-subset.yml), which installs the exact version the fixture names and
 * sets MATRIZ_CHECK_OPENAPI_SUBSET=1. With that variable a missing package fails; without it the
 * check is skipped, and the fixture's provenance (`x-derived-from`) is still checked.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations
import * as extraction from '../fixtures/github/extract-openapi.js';
import { OPENAPI_FIXTURE } from './github-openapi.js';

const { deriveSubset, loadPublishedDescription, renderSubset } = extraction as {
  deriveSubset: (description: unknown, version: string) => unknown;
  loadPublishedDescription: () => { description: unknown; version: string };
  renderSubset: (subset: unknown) => string;
};

const required = process.env.MATRIZ_CHECK_OPENAPI_SUBSET === '1';
const installed = (() => {
  try {
    createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
    return true;
  } catch {
    return false;
  }
})();

describe('OpenAPI subset fixture', () => {
  it('names the published description it was derived from', () => {
    const fixture = JSON.parse(readFileSync(OPENAPI_FIXTURE, 'utf8')) as {
      info: { 'x-derived-from': string };
    };
    expect(fixture.info['x-derived-from']).toMatch(
      /^@octokit\/openapi@\d+\.\d+\.\d+ generated\/api\.github\.com\.json by test\/fixtures\/github\/extract-openapi\.js$/,
    );
  });

  it.skipIf(!required && !installed)(
    'is exactly what extract-openapi.js derives from the installed @octokit/openapi',
    () => {
      const { description, version } = loadPublishedDescription();
      expect(readFileSync(OPENAPI_FIXTURE, 'utf8')).toBe(
        renderSubset(deriveSubset(description, version)),
      );
    },
  );
});
