import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations
import * as extraction from '../fixtures/github/extract-openapi.js';
import { OPENAPI_FIXTURE } from './github-openapi.js';

const { deriveSubset, loadPublishedDescription, renderSubset } = extraction as {
  deriveSubset: (description: unknown, version: string) => unknown;
  loadPublishedDescription: () => { description: unknown; version: string };
  renderSubset: (subset: unknown) => string;
};

describe('OpenAPI subset fixture', () => {
  it('is exactly what extract-openapi.js derives from the installed @octokit/openapi', () => {
    const { description, version } = loadPublishedDescription();
    expect(readFileSync(OPENAPI_FIXTURE, 'utf8')).toBe(
      renderSubset(deriveSubset(description, version)),
    );
  });
});
