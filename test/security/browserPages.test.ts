import { api } from '../helpers';

const PAGES = ['/dashboard', '/docs'];
const page = (path: string) => api(path, { token: null });

describe('browser pages', () => {
  it.each(PAGES)('%s sends a Content-Security-Policy that allows only its own scripts', async (path) => {
    const { status, headers, body } = await page(path);
    expect(status).toBe(200);
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    // and the page needs nothing more: every script is a served file, with no inline code or handlers
    const scripts = [...(body as string).matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, code] of scripts) {
      expect(attributes).toMatch(/src="[^"]+"/);
      expect(code.trim()).toBe('');
    }
    expect(body).not.toMatch(/\son[a-z]+=/i);
    expect(body).not.toContain('<style');
  });

  it.each(PAGES)('%s serves every asset it references', async (path) => {
    const { body } = await page(path);
    const assets = [...(body as string).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    for (const asset of assets) {
      const response = await page(asset);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
  });

  it.each(PAGES.flatMap((p) => ['nope.js', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '..%2Fpackage.json'].map((name) => [p, name])))(
    '%s/assets/%s is 404',
    async (path, name) => {
      const { status, body } = await page(`${path}/assets/${name}`);
      expect(status).toBe(404);
      expect(body.error.code).toBe('not_found');
    },
  );

  it('keeps tokens out of browser storage', async () => {
    const dashboard = (await page('/dashboard/assets/dashboard.js')).body as string;
    const docs = (await page('/docs/assets/docs.js')).body as string;
    for (const script of [dashboard, docs]) expect(script).not.toMatch(/(local|session)Storage\.(setItem|getItem)/);
    expect(docs).toContain('persistAuthorization: false');
  });
});
