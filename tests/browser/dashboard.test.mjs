// Real-browser tests for the camdock dashboard (node --test + playwright-core + system Chromium).
//
//   BASE_URL   server to test (default http://127.0.0.1:8765)
//   SHOTS_DIR  where screenshots go (default ./shots)
//   CHROMIUM   browser binary (default /usr/bin/chromium)
//   PROGRESS_TIMEOUT_MS  how long to wait for a slot to copy to "done" (default 60000)
//   SLOT       only watch this slot's volume (default: any slot)
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8765').replace(/\/+$/, '');
const SHOTS_DIR = path.resolve(process.env.SHOTS_DIR || 'shots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PROGRESS_TIMEOUT_MS = Number(process.env.PROGRESS_TIMEOUT_MS || 60000);
const SLOT = process.env.SLOT || '';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const LOCALES = [
  {
    locale: 'en-US', tag: 'en', htmlLang: /^en/i,
    tabs: { dock: 'Dock', fleet: 'Fleet', clips: 'Clips', audit: 'Audit' },
    safe: 'Safe to undock', overdue: 'Overdue', stored: 'Written to write-once store', overdueItem: /^overdue: out [\d.]+ h \(limit \S+\)$/,
  },
  {
    locale: 'zh-CN', tag: 'zh', htmlLang: /^zh/i,
    tabs: { dock: '底座', fleet: '装备', clips: '录像', audit: '审计' },
    safe: '可以取走', overdue: '逾期未归', stored: '已写入只写一次存储', overdueItem: /^逾期：已外出 [\d.]+ 小时（上限 \S+）$/,
  },
];

let browser;

before(async () => {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const res = await fetch(BASE_URL + '/').catch(e => { throw new Error(`server not reachable at ${BASE_URL}: ${e.message}`); });
  assert.equal(res.status, 200, `GET ${BASE_URL}/ should be 200`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => { if (browser) await browser.close(); });

function parseRgba(css) {
  const m = /rgba?\(([^)]+)\)/.exec(css || '');
  if (!m) return null;
  const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  return { r, g, b, a };
}

function isReddish(c) {
  return !!c && c.a > 0.3 && c.r >= 150 && c.r - Math.max(c.g, c.b) >= 30;
}

async function shot(page, name) {
  const file = path.join(SHOTS_DIR, name + '.png');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function tabTexts(page) {
  return page.$$eval('nav a[href^="#"]', as => Object.fromEntries(as.map(a => [a.getAttribute('href').slice(1), a.textContent.trim()])));
}

for (const L of LOCALES) {
  describe(`dashboard (${L.locale})`, () => {
    let context, page;
    let loads = 0;
    const errors = [];
    const marker = `camdock-${L.tag}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    let timeOrigin;

    async function assertNoReload(where) {
      const s = await page.evaluate(() => ({
        marker: window.__camdockTestMarker,
        timeOrigin: performance.timeOrigin,
        navEntries: performance.getEntriesByType('navigation').length,
        navType: (performance.getEntriesByType('navigation')[0] || {}).type,
      }));
      assert.equal(s.marker, marker, `${where}: window marker lost, so the page was reloaded`);
      assert.equal(s.timeOrigin, timeOrigin, `${where}: performance.timeOrigin changed, so the page was reloaded`);
      assert.equal(s.navEntries, 1, `${where}: expected exactly one navigation entry`);
      assert.equal(loads, 1, `${where}: the page fired ${loads} load events`);
    }

    before(async () => {
      context = await browser.newContext({ locale: L.locale, viewport: { width: 1366, height: 900 }, deviceScaleFactor: 1 });
      page = await context.newPage();
      page.on('load', () => { loads += 1; });
      page.on('pageerror', e => errors.push(`pageerror: ${e.message}`));
      page.on('console', m => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    });
    after(async () => { if (context) await context.close(); });

    test('dock: a slot copies to done and shows "safe to undock" live, without reload', { timeout: PROGRESS_TIMEOUT_MS + 30000 }, async t => {
      await page.goto(BASE_URL + '/#dock', { waitUntil: 'load' });
      await page.waitForSelector('#slots [data-slot] .progress[data-clips-done]', { timeout: 15000 });
      await page.evaluate(m => { window.__camdockTestMarker = m; }, marker);
      timeOrigin = await page.evaluate(() => performance.timeOrigin);

      assert.match(await page.getAttribute('html', 'lang'), L.htmlLang);
      const tabs = await tabTexts(page);
      for (const [k, v] of Object.entries(L.tabs)) assert.equal(tabs[k], v, `tab #${k} title`);

      // Watch every slot (or $SLOT): some slot must be seen with a lower data-clips-done while not
      // done, then a higher one, then state "done" with the safe text visible.
      const track = new Map();
      const deadline = Date.now() + PROGRESS_TIMEOUT_MS;
      let winner = null, midShot = false, samples = 0;
      while (!winner && Date.now() < deadline) {
        const tiles = await page.$$eval('[data-slot]', els => els.map(el => {
          const p = el.querySelector('.progress');
          const st = el.querySelector('.state');
          return {
            slot: el.getAttribute('data-slot'),
            done: Number(p && p.getAttribute('data-clips-done')),
            total: Number(p && p.getAttribute('data-clips-total')),
            bytesDone: Number(p && p.getAttribute('data-bytes-done')),
            state: st && st.getAttribute('data-state'),
            text: el.innerText,
          };
        }));
        samples += 1;
        for (const s of tiles) {
          if (SLOT && s.slot !== SLOT) continue;
          const tr = track.get(s.slot) || { low: null, increased: false, seen: [] };
          track.set(s.slot, tr);
          const lastSeen = tr.seen[tr.seen.length - 1];
          if (!lastSeen || lastSeen.done !== s.done || lastSeen.state !== s.state) tr.seen.push({ done: s.done, state: s.state });
          if (s.state !== 'done') {
            if (tr.low === null || s.done < tr.low) { tr.low = s.done; tr.increased = false; }
          }
          if (tr.low !== null && s.done > tr.low) tr.increased = true;
          if (!midShot && s.state === 'ingesting' && tr.increased && s.done > 0 && s.done < s.total) {
            midShot = true;
            await shot(page, `dock-progress-${L.tag}`);
          }
          if (tr.increased && s.state === 'done' && s.text.includes(L.safe)) { winner = { ...s, tr }; break; }
        }
        if (!winner) await page.waitForTimeout(100);
      }
      const summary = [...track].map(([k, v]) => `${k}: ${v.seen.map(x => `${x.state}:${x.done}`).join(' → ')}`).join('\n');
      assert.ok(winner, `no slot went from a lower data-clips-done up to state=done with "${L.safe}" within ${PROGRESS_TIMEOUT_MS} ms (${samples} samples)\n${summary}`);
      t.diagnostic(`slot ${winner.slot}: ${winner.tr.seen.map(x => `${x.state}:${x.done}`).join(' → ')}`);

      const tile = page.locator(`[data-slot="${winner.slot.replace(/"/g, '\\"')}"]`);
      assert.equal(await tile.locator('.state').getAttribute('data-state'), 'done');
      assert.ok(await tile.getByText(L.safe, { exact: false }).first().isVisible(), 'safe text visible');
      await assertNoReload('after live progress');
      await shot(page, `dock-${L.tag}`);
    });

    test('fleet: overdue row is flagged and red, table sorts by header click', async () => {
      await page.click('nav a[href="#fleet"]');
      const row = page.locator('[data-camera][data-state="overdue"]').first();
      await row.waitFor({ state: 'visible', timeout: 15000 });
      assert.ok(await row.evaluate(el => el.classList.contains('overdue')), 'overdue row has class "overdue"');
      const bg = await row.evaluate(el => getComputedStyle(el).backgroundColor);
      assert.ok(isReddish(parseRgba(bg)), `overdue row background should be red-ish, got ${bg}`);
      assert.ok((await row.innerText()).includes(L.overdue), `overdue row shows "${L.overdue}"`);
      // Its attention item in the page's language, with the figures the server sent.
      const item = (await row.locator('ul.attention li').first().innerText()).trim();
      assert.match(item, L.overdueItem);
      assert.match(await page.getAttribute('html', 'lang'), L.htmlLang);

      // Sorting: camera ascending, then descending.
      const cams = () => page.$$eval('#fleet-table tbody tr[data-camera]', trs => trs.map(tr => tr.getAttribute('data-camera')));
      await page.click('#fleet-table thead button[data-sort="camera"]');
      const asc = await cams();
      assert.deepEqual(asc, [...asc].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })), 'ascending by camera');
      await page.click('#fleet-table thead button[data-sort="camera"]');
      const desc = await cams();
      assert.deepEqual(desc, [...asc].reverse(), 'descending by camera');
      // back to the default "state" ordering (overdue first) for the screenshot
      await page.click('#fleet-table thead button[data-sort="state"]');
      await page.click('#fleet-table thead button[data-sort="state"]');
      assert.equal(await page.locator('#fleet-table tbody tr').first().getAttribute('data-state'), 'overdue');

      await assertNoReload('fleet');
      await shot(page, `fleet-${L.tag}`);
    });

    test('clips: search, custody timeline and media facts', async () => {
      await page.click('nav a[href="#clips"]');
      await page.waitForFunction(() => {
        const st = document.querySelector('#clips-status');
        return document.querySelector('#clips-table tbody tr[data-sha]') || (st && !st.hidden && !/…$/.test(st.textContent));
      }, null, { timeout: 15000 });
      const rows = page.locator('#clips-table tbody tr[data-sha]');
      // The progress test before this one saw a camera's ingest through to "safe": clips are stored.
      assert.ok(await rows.count() > 0, 'the clip list shows the stored clips');
      {
        const damaged = page.locator('#clips-table tbody tr[data-sha]:has([data-integrity="damaged"])');
        const target = (await damaged.count()) ? damaged.first() : rows.first();
        await target.click();
        await page.waitForSelector('#clip-detail.has-clip ol.timeline li', { timeout: 15000 });
        assert.ok(await page.locator('#clip-detail.has-clip').isVisible(), 'clip detail visible');
        assert.ok(await page.locator('#clip-detail ol.timeline li').count() > 0, 'custody timeline has events');
        // Each event by its name in the page's language, never as the ledger stores it.
        const kinds = await page.locator('#clip-detail ol.timeline .tl-kind').allInnerTexts();
        assert.ok(kinds.includes(L.stored), `the timeline names the clip's storing: ${kinds}`);
        assert.ok(!kinds.some(k => /^[a-z]+(-[a-z]+)+$/.test(k.trim())), `no event by its stored name: ${kinds}`);
        await shot(page, `clips-${L.tag}`);

        const camera = (await rows.first().locator('td').nth(1).innerText()).trim();
        await page.fill('#clip-search input[name="camera"]', camera);
        await page.click('#clip-search button[type="submit"]');
        await page.waitForFunction(c => {
          const trs = [...document.querySelectorAll('#clips-table tbody tr[data-sha]')];
          return trs.length > 0 && trs.every(tr => tr.children[1].textContent.trim() === c);
        }, camera, { timeout: 15000 });
      }
      await assertNoReload('clips');
    });

    test('audit: last verification, checkpoint and ledger shown', async () => {
      await page.click('nav a[href="#audit"]');
      await page.waitForSelector('#audit [data-card="verify"]', { timeout: 15000 });
      assert.equal(await page.locator('#audit [data-card]').count(), 3);
      await assertNoReload('audit');
      await shot(page, `audit-${L.tag}`);
    });

    test('language switch re-renders in place and is remembered', async () => {
      const other = L.tag === 'en' ? LOCALES[1] : LOCALES[0];
      await page.click('nav a[href="#dock"]');
      await page.waitForSelector('#slots [data-slot]');
      // A slot that says "safe to undock" in this language (the demo's cameras come and go: wait
      // for one), then the same slot in the other.
      await page.waitForFunction(safe => document.querySelector('#slots').innerText.includes(safe), L.safe,
        { timeout: PROGRESS_TIMEOUT_MS });
      await page.click(`.lang-switch button[data-lang="${other.tag}"]`);
      await page.waitForFunction(re => new RegExp(re, 'i').test(document.documentElement.lang), other.htmlLang.source);
      const tabs = await tabTexts(page);
      for (const [k, v] of Object.entries(other.tabs)) assert.equal(tabs[k], v, `tab #${k} after switch`);
      assert.ok((await page.locator('#slots').innerText()).includes(other.safe), `"${other.safe}" after switch`);
      await assertNoReload('language switch');
      await shot(page, `dock-switched-${L.tag}-to-${other.tag}`);

      // A fresh page in the same profile keeps the choice (localStorage), whatever the browser locale.
      const p2 = await context.newPage();
      await p2.goto(BASE_URL + '/#fleet');
      await p2.waitForFunction(re => new RegExp(re, 'i').test(document.documentElement.lang), other.htmlLang.source);
      assert.equal((await tabTexts(p2)).fleet, other.tabs.fleet);
      await p2.close();

      await page.click(`.lang-switch button[data-lang="${L.tag}"]`);
      await page.waitForFunction(re => new RegExp(re, 'i').test(document.documentElement.lang), L.htmlLang.source);
      assert.equal((await tabTexts(page)).dock, L.tabs.dock);
      await assertNoReload('language switch back');
    });

    test('no script errors', () => {
      assert.deepEqual(errors, []);
    });
  });
}
