import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { CSS, JS, contentSecurityPolicy, servePage } from '../browserPages';

/**
 * The operator dashboard: a static page whose script calls the API with the operator's own token (so the same
 * roles apply), drawing charts with Chart.js served from node_modules — nothing is fetched from the internet.
 */
export function dashboardRoutes() {
  const dir = join(__dirname, '..', 'dashboard');
  const assets = new Map([
    ['dashboard.js', { type: JS, body: readFileSync(join(dir, 'dashboard.js')) }],
    ['dashboard.css', { type: CSS, body: readFileSync(join(dir, 'dashboard.css')) }],
    // The UMD build is not in the package's exports map; it sits beside the resolvable entry point.
    ['chart.umd.js', { type: JS, body: readFileSync(join(dirname(require.resolve('chart.js/auto')), '..', 'dist', 'chart.umd.js')) }],
  ]);
  const app = new Hono();
  servePage(app, { page: readFileSync(join(dir, 'index.html'), 'utf8'), assets, csp: contentSecurityPolicy(), maxAgeS: 3600 });
  return app;
}
