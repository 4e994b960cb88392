import type { Hono } from 'hono';

/**
 * What the browser pages (/dashboard, /docs) may load: only our own files. No inline or eval'd script, so markup
 * injected into a page (a template name, an error text) cannot run; no framing, no plugins, no foreign hosts.
 * Swagger UI sets style attributes from its script, hence `'unsafe-inline'` for styles on /docs only.
 */
export function contentSecurityPolicy({ inlineStyles = false } = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${inlineStyles ? " 'unsafe-inline'" : ''}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface Asset {
  type: string;
  body: Buffer;
}

/**
 * Serves a page and its assets with the policy above. Assets are looked up in a Map of the names given, so a
 * name like `constructor` or `__proto__` is unknown (404), never an inherited property.
 */
export function servePage(app: Hono, { page, assets, csp, maxAgeS }: { page: string; assets: Map<string, Asset>; csp: string; maxAgeS: number }): void {
  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', csp);
  });
  app.get('/', (c) => c.html(page));
  app.get('/assets/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.json({ error: { code: 'not_found', message: 'No such asset' } }, 404);
    return c.body(new Uint8Array(asset.body), 200, { 'content-type': asset.type, 'cache-control': `public, max-age=${maxAgeS}` });
  });
}

export const JS = 'text/javascript; charset=utf-8';
export const CSS = 'text/css; charset=utf-8';
