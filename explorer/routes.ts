/**
 * Hash routes (`#/search?signal=x`, `#/node/<id>`): the server serves one page at `/`, and every
 * view, with its query, is a URL that can be bookmarked and shared.
 */
export interface Route {
  /** Path segments after `#/`, decoded. */
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = text.split('?', 2);
  const segments = path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return { segments, params: new URLSearchParams(query) };
}

/** The hash of a view: `href('node', id)`, `href('search', {signal})`. */
export function href(
  view: string,
  ...rest: (string | Readonly<Record<string, string | number | undefined>>)[]
): string {
  let path = `#/${view}`;
  let query = '';
  for (const part of rest) {
    if (typeof part === 'string') path += `/${encodeURIComponent(part)}`;
    else {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(part))
        if (value !== undefined && value !== '') params.set(key, String(value));
      query = params.toString();
    }
  }
  return query === '' ? path : `${path}?${query}`;
}
