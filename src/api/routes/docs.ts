import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { CSS, JS, contentSecurityPolicy, servePage } from '../browserPages';

/**
 * Swagger UI from the swagger-ui-dist package, served by us: the docs page works on a machine without internet.
 * The assets are read once at start-up. The page has no inline script (see browserPages): `docs.js` starts the UI
 * with the spec URL from a data attribute, and does not persist an entered token (it lives in the page's memory).
 */
export function docsRoutes(openApiPath: string) {
  const dist = require('swagger-ui-dist').getAbsoluteFSPath() as string;
  const assets = new Map([
    ['swagger-ui.css', { type: CSS, body: readFileSync(join(dist, 'swagger-ui.css')) }],
    ['swagger-ui-bundle.js', { type: JS, body: readFileSync(join(dist, 'swagger-ui-bundle.js')) }],
    ['docs.js', { type: JS, body: readFileSync(join(__dirname, '..', 'docs', 'docs.js')) }],
  ]);
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LuckyGas SMS gateway API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui" data-spec-url="${openApiPath}"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs.js"></script>
</body></html>`;

  const app = new Hono();
  servePage(app, { page, assets, csp: contentSecurityPolicy({ inlineStyles: true }), maxAgeS: 86400 });
  return app;
}
