// The two-person approval flow in a real browser (node --test + playwright-core + Debian's
// Chromium), two accounts in two browser contexts: an auditor asks to view a clip, an approver
// approves, the auditor watches it in the page (the video element plays the stored bytes), and the
// access register shows request, approval and viewing with both accounts.
//
//   BASE_URL  the station (a daemon with accounts; tests/people.rs starts it)
//   CLIP      the SHA-256 of a stored clip
//   PASSWORD  the password of the accounts `auditor` and `approver`
//   SHOTS_DIR where screenshots go
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.BASE_URL;
const CLIP = process.env.CLIP;
const PASSWORD = process.env.PASSWORD;
const SHOTS_DIR = path.resolve(process.env.SHOTS_DIR || 'shots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

let browser;
before(async () => {
  mkdirSync(SHOTS_DIR, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});
after(async () => { await browser?.close(); });

async function signedIn(account) {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  await page.goto(BASE_URL + '/');
  await page.locator('#signin input[name=account]').fill(account);
  await page.locator('#signin input[name=password]').fill(PASSWORD);
  await page.locator('#signin button[type=submit]').click();
  await page.locator('#whoami-name').filter({ hasText: account }).waitFor({ timeout: 15000 });
  await page.locator('#view-access').waitFor({ state: 'visible', timeout: 15000 });
  return { page, context, errors };
}

test('an auditor watches a clip after an approver approves it', async () => {
  // Not signed in: the Access tab is not offered and the API refuses the register.
  const anon = await (await browser.newContext()).newPage();
  await anon.goto(BASE_URL + '/');
  await anon.locator('#signin').waitFor({ state: 'visible' });
  assert.equal(await anon.locator('#tab-access').isHidden(), true);
  const refused = await anon.evaluate(async () => (await fetch('/api/v1/access-log')).status);
  assert.equal(refused, 401);

  const auditor = await signedIn('auditor');
  const a = auditor.page;
  await a.locator('#request-form select[name=act]').selectOption('view');
  await a.locator('#request-form input[name=clip]').fill(CLIP);
  await a.locator('#request-form input[name=reason]').fill('complaint 2026-77');
  await a.locator('#request-form button[type=submit]').click();
  const mine = a.locator('#requests tbody tr', { hasText: 'complaint 2026-77' });
  await mine.waitFor({ timeout: 15000 });
  assert.match(await mine.innerText(), /pending/);
  // Nothing to watch yet.
  assert.equal(await mine.locator('button', { hasText: 'Watch' }).count(), 0);

  const approver = await signedIn('approver');
  const p = approver.page;
  const theirs = p.locator('#requests tbody tr', { hasText: 'complaint 2026-77' });
  await theirs.waitFor({ timeout: 15000 });
  await theirs.locator('button', { hasText: 'Approve' }).click();
  await p.locator('#requests tbody tr', { hasText: 'approved by approver' }).waitFor({ timeout: 15000 });
  await p.screenshot({ path: path.join(SHOTS_DIR, 'access-approver.png'), fullPage: true });

  // The auditor's page shows the approval; Watch plays the clip.
  await a.reload();
  const approved = a.locator('#requests tbody tr', { hasText: 'complaint 2026-77' });
  await approved.locator('button', { hasText: 'Watch' }).waitFor({ timeout: 15000 });
  await approved.locator('button', { hasText: 'Watch' }).click();
  await a.locator('#player').waitFor({ state: 'visible', timeout: 15000 });
  await a.waitForFunction(() => {
    const v = document.querySelector('#player-video');
    return v && v.readyState >= 1 && v.duration > 0;
  }, null, { timeout: 30000 });
  const duration = await a.evaluate(() => document.querySelector('#player-video').duration);
  assert.ok(duration > 0.5, `the video has a duration (${duration} s)`);
  const facts = await a.locator('#player-facts').innerText();
  assert.ok(facts.includes(CLIP), 'the page shows the SHA-256 of what is watched');
  assert.match(facts, /#\d+ \S+ [0-9a-f]{64}/, 'and its clip-stored event in the chain');
  await a.screenshot({ path: path.join(SHOTS_DIR, 'access-watching.png'), fullPage: true });

  // The register, as the approver sees it: request, approval, viewing, with both accounts.
  await p.reload();
  const register = p.locator('#register tbody');
  await register.locator('tr', { hasText: 'clip-accessed' }).waitFor({ timeout: 15000 });
  const text = await register.innerText();
  for (const [kind, who] of [['approval-requested', 'auditor'], ['approval-decided', 'approver'], ['clip-accessed', 'auditor']]) {
    assert.ok(text.split('\n').some(l => l.includes(kind) && l.includes(who)), `${kind} by ${who} on the register:\n${text}`);
  }
  assert.deepEqual(auditor.errors, []);
  assert.deepEqual(approver.errors, []);
});

test('the kiosk shows the dock tiles without signing in, and nothing else', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(BASE_URL + '/kiosk');
  await page.locator('#view-dock').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.tabs').isVisible(), false);
  assert.equal(await page.locator('#signin').isVisible(), false);
  const fleet = await page.evaluate(async () => (await fetch('/api/v1/fleet')).status);
  assert.equal(fleet, 401, 'the fleet is not the kiosk\'s');
  await page.screenshot({ path: path.join(SHOTS_DIR, 'kiosk.png'), fullPage: true });
});
