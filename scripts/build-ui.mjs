// Bundles the dashboards (src/ui/web) into dist/ui with esbuild: one script per page and one
// stylesheet with uPlot's, so the admin ports serve everything themselves (no CDN, works offline).
// Type checking is tsc's job (`tsc -p src/ui/web/tsconfig.json`, part of `npm run lint`).

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: {
    'router-dashboard': 'src/ui/web/router-page.ts',
    'namerd-dashboard': 'src/ui/web/namerd-page.ts',
    'registry-dashboard': 'src/ui/web/registry-page.ts',
    dashboard: 'src/ui/web/dashboard.css',
  },
  outdir: 'dist/ui',
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
});
