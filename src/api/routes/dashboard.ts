import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';

/**
 * The operator dashboard: a static page whose script calls the API with the operator's own token (so the same
 * roles apply), drawing charts with Chart.js served from node_modules — nothing is fetched from the internet.
 */
export function dashboardRoutes() {
  const dir = join(__dirname, '..', 'dashboard');
  const page = readFileSync(join(dir, 'index.html'));
  const assets: Record<string, Buffer> = {
    'dashboard.js': readFileSync(join(dir, 'dashboard.js')),
    // The UMD build is not in the package's exports map; it sits beside the resolvable entry point.
    'chart.umd.js': readFileSync(join(dirname(require.resolve('chart.js/auto')), '..', 'dist', 'chart.umd.js')),
  };
  const app = new Hono();
  app.get('/', (c) => c.html(page.toString('utf8')));
  app.get('/assets/:name', (c) => {
    const asset = assets[c.req.param('name')];
    if (!asset) return c.json({ error: { code: 'not_found', message: 'No such asset' } }, 404);
    return c.body(new Uint8Array(asset), 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' });
  });
  return app;
}
