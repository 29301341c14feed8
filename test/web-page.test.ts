/**
 * The shopper web page (web/) end to end: a real loopback server over the Luma catalogue, driven in
 * Debian's Chromium by playwright-core (installed by .ci/run). Also the page's two server pieces without a
 * browser: the static route and the public, bounded POST /events/click.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { createApp } from '../src/server/app.ts';
import { clickEventRoutes } from '../src/server/click-events.ts';
import { startServer, type RunningServer } from '../src/server/start-server.ts';
import type { SearchResponse } from '../src/types.ts';
import { LUMA_CATALOGUE, LUMA_IMAGES } from './helpers/paths.ts';
import { createWordHashEmbedder } from './helpers/word-hash-embedder.ts';

/**
 * The page's `document` as the browser-side callbacks below use it (the project compiles without the DOM
 * library). Callbacks, not strings: the page's CSP forbids eval, which a string predicate needs.
 */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): ArrayLike<{ naturalWidth: number }>;
};

const CHROMIUM = '/usr/bin/chromium';
const STEP_MS = 15_000;

let engine: Engine;

before(async () => {
  // Word-hash text vectors keep this fast; photos go through the real visual descriptor (image search).
  engine = await createEngine({ dataDir: null }, { textEmbedder: createWordHashEmbedder() });
  await engine.ingest(LUMA_CATALOGUE);
  assert.equal((await engine.embed()).failed, 0);
});

after(() => engine?.close());

describe('web page static route', () => {
  it('serves index.html at / with a CSP, and the modules and styles with their content types', async () => {
    const app = createApp(engine);
    const page = await app.request('/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script type="module" src="\/web\/app\.js">/);
    for (const [file, type] of [
      ['app.js', /^text\/javascript/],
      ['i18n.js', /^text\/javascript/],
      ['style.css', /^text\/css/],
    ] as const) {
      const response = await app.request(`/web/${file}`);
      assert.equal(response.status, 200, file);
      assert.match(response.headers.get('content-type') ?? '', type, file);
      const etag = response.headers.get('etag');
      assert.ok(etag);
      const again = await app.request(`/web/${file}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
    }
    for (const path of ['/web/missing.js', '/web/..%2Fpackage.json', '/web/.eslintrc', '/web/APP.JS']) {
      assert.equal((await app.request(path)).status, 404, path);
    }
  });
});

describe('POST /events/click', () => {
  const post = (
    app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
    path: string,
    body: unknown,
  ) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('records one click on an existing product without the admin key', async () => {
    const app = createApp(engine, { config: { server: { adminKey: 'secret' } } });
    const before = (await engine.stats()).feedback;
    const response = await app.request('/events/click', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ productId: 'MH01', query: 'hoodie', position: 2, sessionId: 's1' }),
    });
    assert.equal(response.status, 202);
    assert.equal((await engine.stats()).feedback, before + 1);
  });

  it('refuses unknown products, bad fields, other content types and floods', async () => {
    const app = createApp(engine);
    assert.equal((await post(app, '/events/click', { productId: 'NOPE', query: 'x' })).status, 404);
    assert.equal((await post(app, '/events/click', { productId: 'MH01', position: 0 })).status, 400);
    assert.equal((await post(app, '/events/click', { query: 'x' })).status, 400);
    assert.equal((await post(app, '/events/click', [{ productId: 'MH01' }])).status, 400);
    const form = await app.request('/events/click', { method: 'POST', body: 'productId=MH01' });
    assert.equal(form.status, 415);
    assert.equal(
      (await post(app, '/events/click', { productId: 'MH01', padding: 'x'.repeat(4000) })).status,
      413,
    );
    let now = 0;
    const routes = clickEventRoutes({ engine, perClientPerMinute: 3, now: () => now });
    for (let i = 0; i < 3; i++)
      assert.equal((await post(routes, '/click', { productId: 'MH01' })).status, 202);
    const limited = await post(routes, '/click', { productId: 'MH01', query: 'x' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '60');
    now += 60_000;
    assert.equal((await post(routes, '/click', { productId: 'MH01', query: 'x' })).status, 202);
  });
});

const hasChromium = existsSync(CHROMIUM);

describe(
  'web page in Chromium',
  { skip: hasChromium ? false : `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)` },
  () => {
    let server: RunningServer;
    let browser: Browser;
    let page: Page;
    let shots: string;
    let shot = 0;

    before(async () => {
      server = await startServer(engine, {
        host: '127.0.0.1',
        port: 0,
        onServerError: (error) => assert.fail(`unexpected server error: ${error.code} ${error.message}`),
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(STEP_MS);
      shots = await mkdtemp(join(tmpdir(), 'souk-web-'));
      console.log(`web page screenshots: ${shots}`);
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    const screenshot = (name: string) => page.screenshot({ path: join(shots, `${++shot}-${name}.png`) });
    const settled = () => page.waitForSelector('body[data-state="idle"]');
    const total = async () => Number(await page.getAttribute('#summary', 'data-total'));
    const api = async (query: string) =>
      (await (await fetch(`${server.url}/search?${query}`)).json()) as SearchResponse;
    const prices = () =>
      page.$$eval('#results .price', (nodes) => nodes.map((n) => Number(n.getAttribute('data-price'))));
    const ids = () => page.$$eval('#results .card', (nodes) => nodes.map((n) => n.getAttribute('data-id')));

    it('loads, takes focus with Tab, suggests as you type and searches on Enter', async () => {
      await page.goto(server.url + '/');
      await settled();
      assert.equal(await total(), (await api('q=')).total);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate('document.activeElement?.id'), 'q');
      await page.keyboard.type('hoodi');
      await page.waitForSelector('#suggestions li');
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.getAttribute('#q', 'aria-activedescendant'), 'suggestion-0');
      assert.equal(await page.getAttribute('#suggestion-0', 'aria-selected'), 'true');
      await page.keyboard.press('ArrowUp');
      assert.equal(await page.getAttribute('#q', 'aria-activedescendant'), null);
      await screenshot('suggestions');
      await page.keyboard.type('e');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('#summary')?.textContent?.includes('hoodie'));
      await settled();
      assert.equal(await total(), (await api('q=hoodie')).total);
      const marks = await page.$$eval('#results .title mark', (nodes) => nodes.map((n) => n.textContent));
      assert.ok(marks.length > 0 && marks.every((text) => /hoodie/i.test(text ?? '')), String(marks));
      // The first photos have loaded (naturalWidth is 0 for a broken or pending image).
      await page.waitForFunction(() =>
        Array.from(document.querySelectorAll('#results img'))
          .slice(0, 4)
          .every((img) => img.naturalWidth > 0),
      );
      assert.ok((await page.$$('#results .rating')).length > 0);
      await screenshot('hoodie');
    });

    it('filters by a category facet with the API count', async () => {
      await page.click('#facets button.tree-item[data-value="Men"]');
      await settled();
      const expected = (await api(`q=hoodie&filter=${encodeURIComponent('category = "Men"')}`)).total;
      assert.equal(await total(), expected);
      assert.equal(await page.getAttribute('button.tree-item[aria-current="true"]', 'data-value'), 'Men');
      await page.click('#facets input[data-facet="color"][data-value="Black"]');
      await settled();
      const black = (
        await api(`q=hoodie&filter=${encodeURIComponent('category = "Men" AND color IN [Black]')}`)
      ).total;
      assert.equal(await total(), black);
      await screenshot('facets');
      await page.click('#clear-filters');
      await settled();
      assert.equal(await total(), (await api('q=hoodie')).total);
    });

    it('sorts by price ascending and pages on', async () => {
      await page.selectOption('#sort', 'price:asc');
      await settled();
      const first = await prices();
      assert.equal(first.length, 24);
      assert.deepEqual(
        first,
        [...first].sort((a, b) => a - b),
      );
      const firstIds = await ids();
      // The server's default mode (hybrid, with vectors) also ranks semantic neighbours, so the total is the API's.
      const expected = (await api('q=hoodie&sort=price:asc')).total;
      assert.equal(await total(), expected);
      await page.click('#next');
      await settled();
      assert.equal(await page.textContent('#page-info'), `Page 2 of ${Math.ceil(expected / 24)}`);
      const second = await prices();
      assert.equal(second.length, Math.min(24, expected - 24));
      assert.ok(second[0]! >= first[first.length - 1]!);
      assert.ok((await ids()).every((id) => !firstIds.includes(id)));
      assert.equal(await page.getAttribute('#results .card-link', 'data-position'), '25');
      await screenshot('page-2');
      await page.click('#prev');
      await settled();
    });

    it('switches the interface to 中文 and keeps it after a reload', async () => {
      await page.click('[data-lang="zh"]');
      assert.equal(await page.textContent('#facets-title'), '筛选');
      assert.equal(await page.textContent('#search-form button[type="submit"]'), '搜索');
      assert.match((await page.textContent('#summary')) ?? '', /个结果/);
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      await page.reload();
      await settled();
      assert.equal(await page.textContent('#facets-title'), '筛选');
      assert.equal(await page.textContent('#sort option[value="price:asc"]'), '价格从低到高');
      await screenshot('zh');
      await page.click('[data-lang="en"]');
      assert.equal(await page.textContent('#facets-title'), 'Refine');
    });

    it('sends a result click to the server as feedback', async () => {
      const before = (await engine.stats()).feedback;
      const id = (await ids())[1]!;
      const sent = page.waitForResponse((response) => response.url().endsWith('/events/click'));
      await page.click('#results .card:nth-child(2) .card-link');
      assert.equal((await sent).status(), 202);
      assert.equal((await engine.stats()).feedback, before + 1);
      assert.equal(await page.getAttribute('body', 'data-last-click'), id);
      await page.waitForSelector('#product[open]');
      await screenshot('product');
      await page.keyboard.press('Escape');
      await page.waitForSelector('#product:not([open])', { state: 'attached' });
    });

    it('searches by an uploaded photo', async () => {
      await page.fill('#q', '');
      await page.selectOption('#sort', 'relevance');
      await settled();
      await page.setInputFiles('#photo', join(LUMA_IMAGES, 'm/h/mh07-gray_main.jpg'));
      await page.waitForSelector('#photo-chip:not([hidden])');
      await settled();
      const top = (await ids()).slice(0, 3);
      assert.ok(top.includes('MH07'), `MH07 not in the top 3: ${top.join(', ')}`);
      await screenshot('photo');
      await page.click('#clear-photo');
      await settled();
      assert.equal(await page.isHidden('#photo-chip'), true);
    });
  },
);
