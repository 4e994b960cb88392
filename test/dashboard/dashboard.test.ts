import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { adminToken, apiUrl, randomMobile, sendSms, setBehaviour, waitForFinal } from '../helpers';

/** Where the run leaves its screenshot (ignored by git; docs/dashboard.png is a copy for the README). */
const SCREENSHOT = resolve(__dirname, '..', '..', 'test-artifacts', 'dashboard.png');

describe('operator dashboard in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    // Flags from the machine notes: no sandbox as root, and no background calls to the (closed) network.
    browser = await chromium.launch({
      executablePath: loadConfig().CHROMIUM_PATH,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const ok = await sendSms({ phone: randomMobile(), message: '【幸福氣】儀表板測試' });
    const failing = randomMobile();
    await setBehaviour('every8d', failing, { failure: 'invalid_number' });
    const bad = await sendSms({ phone: failing, message: 'will fail' });
    await Promise.all([waitForFinal(ok.body.message_id), waitForFinal(bad.body.message_id)]);
  }, 60_000);

  afterAll(async () => browser?.close());

  it('loads with a token, draws non-empty charts and tables, switches language, and leaves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const violations = cspViolations(page);
    await page.goto(`${apiUrl()}/dashboard`);
    await page.fill('#token', adminToken());
    await page.click('#load');
    await page.waitForFunction(() => (window as any).dashboardReady || document.getElementById('error')!.textContent, undefined, { timeout: 45_000 });
    expect(await page.textContent('#error')).toBe('');

    const drawn = await page.evaluate(() => {
      const sum = (id: string) => (window as any).Chart.getChart(id).data.datasets[0].data.reduce((a: number, b: number) => a + b, 0);
      return {
        volume: sum('volumeChart'),
        cost: sum('costChart'),
        failures: document.querySelectorAll('#failures tr').length,
        providers: document.querySelectorAll('#providers tr').length,
      };
    });
    expect(drawn.volume).toBeGreaterThan(0);
    expect(drawn.cost).toBeGreaterThan(0);
    expect(drawn.failures).toBeGreaterThan(1);
    expect(drawn.providers).toBe(4); // header + three providers
    expect(await page.textContent('h1')).toBe('幸福氣簡訊儀表板');
    // the page runs under its Content-Security-Policy and keeps the token in memory only
    expect(violations).toEqual([]);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await page.click('#lang');
    expect(await page.textContent('h1')).toBe('LuckyGas SMS dashboard');
    expect(await page.textContent('#failures th')).toBe('Time');
  }, 60_000);

  it('shows the API docs under their Content-Security-Policy', async () => {
    const page = await browser.newPage();
    const violations = cspViolations(page);
    await page.goto(`${apiUrl()}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('LuckyGas SMS gateway');
    expect(violations).toEqual([]);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
  }, 60_000);
});

/** Chromium reports each blocked script, style or request as a console error naming the policy. */
function cspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}
