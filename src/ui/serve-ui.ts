/**
 * The dashboards' pages on the admin ports (docs/dashboards.md): `GET /` answers a fixed HTML
 * shell that loads one bundle from `/ui/`, and `/ui/<file>` serves the files scripts/build-ui.mjs
 * bundled into dist/ui at build time. Nothing comes from a CDN, so the pages work offline.
 * Only the names in the build's list are served (no path is ever taken from the URL), and the
 * shell carries a Content-Security-Policy that allows this origin's scripts only: the pages put
 * every value they show in with textContent, and the policy is the second line of defence.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** dist/ui seen from src/ui (tests) and from dist/ui (the package) alike. */
const UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

export type DashboardPage = 'router' | 'namerd' | 'registry';

const TITLES: Record<DashboardPage, string> = {
  router: 'switchyard router',
  namerd: 'switchyard namerd',
  registry: 'switchyard registry',
};

/** Every file the build writes; nothing else is ever read from disk. */
const FILES: Record<string, string> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'router-dashboard.js': 'text/javascript; charset=utf-8',
  'namerd-dashboard.js': 'text/javascript; charset=utf-8',
  'registry-dashboard.js': 'text/javascript; charset=utf-8',
};

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // uPlot sizes its canvas and legend through style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

function shell(page: DashboardPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${TITLES[page]}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/dashboard.css">
<script type="module" src="/ui/${page}-dashboard.js"></script>
</head>
<body><noscript>This dashboard needs JavaScript; the JSON it reads is listed in docs/dashboards.md.</noscript></body>
</html>
`;
}

/**
 * Registers a page's HTML shell at `path`. A second page on one admin port (the registry's
 * `/registry` on a router's) needs only this: the bundles come from the `/ui/` the first page serves.
 */
export function servePage(app: FastifyInstance, page: DashboardPage, path: string): void {
  app.get(path, async (_request, reply) =>
    reply
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(shell(page)),
  );
}

/** Registers `GET /` (the page) and `GET /ui/:file` (its bundles) on an admin app. */
export function serveDashboard(app: FastifyInstance, page: DashboardPage): void {
  const cache = new Map<string, Buffer>();
  servePage(app, page, '/');
  app.get('/ui/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    const type = Object.hasOwn(FILES, file) ? FILES[file] : undefined;
    if (type === undefined) return reply.code(404).type('text/plain').send(`No such file: /ui/${file}\n`);
    let body = cache.get(file);
    if (body === undefined) {
      try {
        body = await readFile(`${UI_DIR}${file}`);
      } catch {
        return reply
          .code(503)
          .type('text/plain')
          .send(`The dashboard is not built (${file} missing in dist/ui): run npm run build\n`);
      }
      cache.set(file, body);
    }
    return reply.header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').type(type).send(body);
  });
}
