import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';

/**
 * Swagger UI from the swagger-ui-dist package, served by us: the docs page works on a machine without internet.
 * The two assets are read once at start-up.
 */
export function docsRoutes(openApiPath: string) {
  const dist = require('swagger-ui-dist').getAbsoluteFSPath() as string;
  const assets: Record<string, { type: string; body: Buffer }> = {
    'swagger-ui.css': { type: 'text/css; charset=utf-8', body: readFileSync(join(dist, 'swagger-ui.css')) },
    'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(dist, 'swagger-ui-bundle.js')) },
  };
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LuckyGas SMS gateway API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '${openApiPath}', dom_id: '#ui', persistAuthorization: true });</script>
</body></html>`;

  const app = new Hono();
  app.get('/', (c) => c.html(page));
  app.get('/assets/:name', (c) => {
    const asset = assets[c.req.param('name')];
    if (!asset) return c.json({ error: { code: 'not_found', message: 'No such asset' } }, 404);
    return c.body(new Uint8Array(asset.body), 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}
