/**
 * The web explorer (docs/explorer.md): a static bundle built by `npm run build`
 * (scripts/build-explorer.js) into `dist/explorer/`, served at `/` and `/explorer/<file>`. The
 * files are read once at start-up; only those files are served (no path from a request reaches
 * the file system). Every answer carries a strict Content-Security-Policy: scripts, styles and
 * connections only to this origin, no inline script, no framing, no plug-ins.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The policy of every explorer answer: nothing but this origin's own files and API. */
export const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** The explorer's files, read into memory: `index.html` and the files it loads. */
export interface ExplorerAssets {
  readonly index: Asset;
  /** By file name, as served under `/explorer/`. */
  readonly files: ReadonlyMap<string, Asset>;
}

function asset(file: string): Asset {
  const body = readFileSync(file);
  return {
    body,
    type: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/**
 * Reads the built explorer from `dir` (`dist/explorer`). Undefined when it has not been built
 * (no `index.html`): the server then answers `/` with a problem that says so.
 */
export function loadExplorerAssets(dir: string): ExplorerAssets | undefined {
  const indexFile = path.join(dir, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const files = new Map<string, Asset>();
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (name === 'index.html' || !statSync(file).isFile()) continue;
    files.set(name, asset(file));
  }
  return { index: asset(indexFile), files };
}

function send(request: FastifyRequest, reply: FastifyReply, file: Asset, cache: string) {
  void reply
    .header('content-security-policy', EXPLORER_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cache-control', cache)
    .header('etag', file.etag);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.type(file.type).send(file.body);
}

/**
 * Routes `GET /` and `GET /explorer/:file`. With `assets` undefined (not built, or turned off
 * with `--no-explorer`), `notServed` answers them: a problem naming the reason.
 */
export function explorerRoutes(
  app: FastifyInstance,
  assets: ExplorerAssets | undefined,
  notServed: (request: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  const options = { schema: { hide: true } };
  app.get('/', options, (request, reply) =>
    assets === undefined
      ? notServed(request, reply)
      : send(request, reply, assets.index, 'no-cache'),
  );
  app.get<{ Params: { file: string } }>('/explorer/:file', options, (request, reply) => {
    const file = assets?.files.get(request.params.file);
    // The bundle's names do not change between builds: revalidate (ETag) rather than cache.
    return file === undefined ? notServed(request, reply) : send(request, reply, file, 'no-cache');
  });
}
