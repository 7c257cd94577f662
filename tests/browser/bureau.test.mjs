// Real-browser test of the hub's dashboard (node --test + playwright-core + system Chromium),
// against a hub that tests/hub.rs has filled: three stations, a camera returned elsewhere, one
// camera overdue bureau-wide, a rewritten segment, a clip never replicated.
//
//   BASE_URL   the hub's dashboard
//   SHOTS_DIR  where screenshots go
//   KEEPER     an account with the equipment-manager role; OFFICER one with the officer role
//   PASSWORD   their password
//   RETURNED   a camera undocked at one station and docked at STATION since
//   OVERDUE    a camera overdue across the bureau; UNIT its unit
//   SEARCHED   a camera whose clips the search must find
//   BACKLOG_STATION  the station with one clip not replicated
//   CASE       a case one clip, TAGGED, is tagged to at its station
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const E = name => { const v = process.env[name]; if (!v) throw new Error(`${name} is not set`); return v; };
const BASE_URL = E('BASE_URL').replace(/\/+$/, '');
const SHOTS_DIR = path.resolve(E('SHOTS_DIR'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const LOCALES = [
  { locale: 'en-US', tag: 'en', tabs: ['Fleet', 'Overdue', 'Stations', 'Alarms', 'Clips'], docked: 'Docked', out: 'Out', overdue: 'Overdue',
    silent: 'Silent', rewritten: 'rewritten', lowBattery: /battery/i, signIn: 'Sign in with an account of the hub to see the bureau.', found: /recording\(s\) found/ },
  { locale: 'zh-CN', tag: 'zh', tabs: ['装备', '逾期', '采集站', '告警', '录像'], docked: '已接入', out: '外出', overdue: '逾期未归',
    silent: '无音讯', rewritten: '分段被改写', lowBattery: /^电量低：12%/, signIn: '请使用汇聚中心的账号登录后查看全局情况。', found: /找到 \d+ 条录像/ },
];

let browser;
before(async () => {
  mkdirSync(SHOTS_DIR, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});
after(async () => { if (browser) await browser.close(); });

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS_DIR, name + '.png'), fullPage: true });
}

test('the hub answers no view to a caller not signed in, and none beyond the officer role', async () => {
  for (const p of ['fleet', 'stations', 'alarms', 'clips']) {
    const r = await fetch(`${BASE_URL}/api/v1/bureau/${p}`);
    assert.equal(r.status, 401, `${p} unsigned`);
  }
  const signIn = await fetch(`${BASE_URL}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: BASE_URL },
    body: JSON.stringify({ account: E('OFFICER'), password: E('PASSWORD') }) });
  assert.equal(signIn.status, 200);
  const cookie = signIn.headers.get('set-cookie').split(';')[0];
  for (const p of ['fleet', 'stations', 'alarms', 'clips']) {
    const r = await fetch(`${BASE_URL}/api/v1/bureau/${p}`, { headers: { Cookie: cookie } });
    assert.equal(r.status, 403, `${p} as an officer`);
  }
});

test('the search across the bureau by officer, case and dates', async () => {
  const signIn = await fetch(`${BASE_URL}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: BASE_URL },
    body: JSON.stringify({ account: E('KEEPER'), password: E('PASSWORD') }) });
  assert.equal(signIn.status, 200);
  const cookie = signIn.headers.get('set-cookie').split(';')[0];
  const find = async q => {
    const r = await fetch(`${BASE_URL}/api/v1/bureau/clips?${new URLSearchParams(q)}`, { headers: { Cookie: cookie } });
    assert.equal(r.status, 200);
    return (await r.json()).clips;
  };
  const byCase = await find({ case: E('CASE') });
  assert.deepEqual(byCase.map(c => [c.clip, c.cases]), [[E('TAGGED'), [E('CASE')]]]);
  const camera = await find({ camera: E('SEARCHED') });
  assert.equal(camera.length, 2);
  const officer = camera[0].officer;
  assert.ok(officer, 'the clips name their officer');
  const byOfficer = await find({ camera: E('SEARCHED'), officer });
  assert.equal(byOfficer.length, 2);
  assert.equal((await find({ camera: E('SEARCHED'), officer: officer + '9' })).length, 0);
  // Newest first; a time between the two recordings splits them.
  const [newer, older] = camera;
  assert.ok(newer.recorded_at > older.recorded_at, `${newer.recorded_at} ${older.recorded_at}`);
  assert.deepEqual((await find({ camera: E('SEARCHED'), from: newer.recorded_at })).map(c => c.clip), [newer.clip]);
  assert.deepEqual((await find({ camera: E('SEARCHED'), to: newer.recorded_at })).map(c => c.clip), [older.clip]);
  const bad = await fetch(`${BASE_URL}/api/v1/bureau/clips?from=yesterday`, { headers: { Cookie: cookie } });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /from is not an instant/);
});

for (const L of LOCALES) {
  describe(`the hub's dashboard (${L.locale})`, () => {
    let context, page;
    const errors = [];
    before(async () => {
      context = await browser.newContext({ locale: L.locale, viewport: { width: 1366, height: 900 }, deviceScaleFactor: 1 });
      page = await context.newPage();
      page.on('pageerror', e => errors.push(`pageerror: ${e.message}`));
      page.on('console', m => { if (m.type() === 'error' && !/401/.test(m.text())) errors.push(`console: ${m.text()}`); });
    });
    after(async () => { if (context) await context.close(); });

    test('signed in as the equipment manager: the fleet by unit and station', async () => {
      await page.goto(BASE_URL + '/#fleet', { waitUntil: 'load' });
      await page.waitForSelector('#signin:not([hidden])');
      assert.equal((await page.textContent('#banner')).trim(), L.signIn);
      assert.equal(await page.locator('.view:not([hidden])').count(), 0, 'nothing shown before sign-in');
      await page.fill('#signin [name=account]', E('KEEPER'));
      await page.fill('#signin [name=password]', E('PASSWORD'));
      await page.click('#signin button[type=submit]');
      await page.waitForSelector('#fleet-units [data-unit] tr[data-camera]');
      assert.deepEqual(await page.$$eval('nav a[data-route]', as => as.map(a => a.textContent.trim())), L.tabs);
      // The camera returned at another station is shown there, under that station's unit.
      const returned = page.locator(`#fleet-units tr[data-camera="${E('RETURNED')}"]`);
      assert.equal(await returned.count(), 1);
      const station = await returned.evaluate(tr => tr.closest('.table-wrap').previousElementSibling.dataset.station);
      assert.equal(station, E('STATION'));
      // Its battery as last read, and why it needs attention, in the page's language.
      assert.equal((await returned.locator('.battery').textContent()).trim(), '12%');
      assert.match((await returned.locator('.col-attention li[data-code="low-battery"]').textContent()).trim(), L.lowBattery);
      const overdue = page.locator(`#fleet-units tr[data-camera="${E('OVERDUE')}"] .badge[data-state]`);
      assert.equal((await overdue.textContent()).trim(), L.overdue);
      assert.equal(await overdue.getAttribute('data-state'), 'overdue');
      const chip = await page.textContent('#fleet-summary .chip-overdue');
      assert.match(chip, /^1\s/, chip);
      await shot(page, `bureau-fleet-${L.tag}`);
    });

    test('overdue across stations', async () => {
      await page.click('nav a[data-route=overdue]');
      await page.waitForSelector('#overdue-table tbody tr');
      const rows = await page.$$eval('#overdue-table tbody tr', trs => trs.map(tr => [tr.dataset.camera, tr.cells[2].textContent.trim()]));
      assert.deepEqual(rows, [[E('OVERDUE'), E('UNIT')]]);
      await shot(page, `bureau-overdue-${L.tag}`);
    });

    test('each station: silence and the backlog', async () => {
      await page.click('nav a[data-route=stations]');
      await page.waitForSelector('#stations-table tbody tr');
      const row = page.locator(`#stations-table tr[data-station="${E('BACKLOG_STATION')}"]`);
      assert.equal((await row.locator('.backlog').textContent()).trim(), '1');
      assert.equal((await row.locator('[data-standing]').textContent()).trim(), L.silent);
      assert.equal(await page.locator('#stations-table tbody tr').count(), 3);
      await shot(page, `bureau-stations-${L.tag}`);
    });

    test('the alarms, named by station and kind', async () => {
      await page.click('nav a[data-route=alarms]');
      await page.waitForSelector('#alarms-table tbody tr');
      const rewritten = page.locator('#alarms-table tr[data-code=rewritten][data-station=station-a]');
      assert.equal(await rewritten.count(), 1);
      assert.equal((await rewritten.locator('.badge').textContent()).trim(), L.rewritten);
      assert.equal(await page.locator(`#alarms-table tr[data-code=unreplicated][data-station="${E('BACKLOG_STATION')}"]`).count(), 1);
      await shot(page, `bureau-alarms-${L.tag}`);
    });

    test('clips found across the bureau by camera', async () => {
      await page.click('nav a[data-route=clips]');
      await page.fill('#clip-search [name=camera]', E('SEARCHED'));
      await page.click('#clip-search button[type=submit]');
      await page.waitForSelector('#clips-table tbody tr');
      const cameras = await page.$$eval('#clips-table tbody tr', trs => trs.map(tr => tr.cells[1].textContent.trim()));
      assert.ok(cameras.length >= 2, `${cameras}`);
      assert.ok(cameras.every(c => c === E('SEARCHED')), `${cameras}`);
      assert.match(await page.textContent('#clips-status'), L.found);
      await shot(page, `bureau-clips-${L.tag}`);
      assert.deepEqual(errors, []);
    });
  });
}
