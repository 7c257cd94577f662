// The dashboard that acts, in a real browser (node --test + playwright-core + Debian's Chromium).
// The two-person approval flow, two accounts in two browser contexts: an auditor asks to view a
// clip, an approver approves, the auditor watches it in the page (the video element plays the
// stored bytes), and the access register shows request, approval and viewing with both accounts.
// Then an equipment manager sees to an attention item from the fleet, and a newcomer signs in
// with a one-time secret and sets a password in the page.
//
//   BASE_URL  the station (a daemon with accounts; tests/people.rs starts it)
//   CLIP      the SHA-256 of a stored clip (camera 7700001, unbound)
//   CASE      the case both of that camera's clips are in
//   PASSWORD  the password of the accounts named after their roles
//   SECRET    the one-time secret of the account `newcomer`
//   SHOTS_DIR where screenshots go
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.BASE_URL;
const CLIP = process.env.CLIP;
const CASE = process.env.CASE;
const PASSWORD = process.env.PASSWORD;
const SECRET = process.env.SECRET;
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

async function signedIn(account, password = PASSWORD) {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  await page.goto(BASE_URL + '/');
  await page.locator('#signin input[name=account]').fill(account);
  await page.locator('#signin input[name=password]').fill(password);
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
  for (const route of ['fleet', 'clips', 'audit']) {
    assert.equal(await anon.locator(`.tabs a[data-route=${route}]`).isHidden(), true, `no ${route} tab before signing in`);
  }
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
  assert.match(facts, /#\d+ .+ [0-9a-f]{64}/, 'and its clip-stored event in the chain');
  assert.ok(!/\d{4}-\d\d-\d\dT/.test(facts), `its time in the station's zone, not raw UTC: ${facts}`);
  await a.screenshot({ path: path.join(SHOTS_DIR, 'access-watching.png'), fullPage: true });

  // The register, as the approver sees it: request, approval, viewing, with both accounts.
  await p.reload();
  const register = p.locator('#register tbody');
  await register.locator('tr', { hasText: 'Clip viewed or copied' }).waitFor({ timeout: 15000 });
  const text = await register.innerText();
  for (const [kind, who] of [['Access requested', 'auditor'], ['Request decided', 'approver'], ['Clip viewed or copied', 'auditor']]) {
    assert.ok(text.split('\n').some(l => l.includes(kind) && l.includes(who)), `${kind} by ${who} on the register:\n${text}`);
  }
  // In Chinese: the register's events by their names, its times in the station's zone.
  await p.locator('button[data-lang=zh]').click();
  await register.locator('tr', { hasText: '录像已调阅' }).waitFor({ timeout: 15000 });
  const zh = await register.innerText();
  for (const kind of ['已申请调阅', '申请已审批', '录像已调阅']) assert.ok(zh.includes(kind), `${kind} on the register:\n${zh}`);
  assert.ok(!/approval-requested|approval-decided|clip-accessed|\d{4}-\d\d-\d\dT/.test(zh), `no stored name or raw UTC time:\n${zh}`);
  assert.deepEqual(auditor.errors, []);
  assert.deepEqual(approver.errors, []);
});

// The role table (src/people/role.rs, docs/SECURITY.md) written out again for the page: which of
// the act form's buttons each role is offered, and whether it sees Clips and may ask from a row.
const OFFERED = {
  officer: { acts: [], clips: false, request: true },
  'equipment-manager': { acts: ['assign', 'tag'], clips: true, request: true },
  auditor: { acts: ['hold'], clips: true, request: true },
  approver: { acts: ['hold', 'release', 'tag'], clips: true, request: true },
  admin: { acts: [], clips: false, request: false },
  reviewer: { acts: [], clips: true, request: true },
};

test('access is asked from the clip\'s row, the approver sees what the clip is, and no role is offered an act it lacks', async () => {
  const auditor = await signedIn('auditor');
  const a = auditor.page;
  await a.locator('a[data-route=clips]').click();
  const row = a.locator(`#clips-table tr[data-sha="${CLIP}"]`);
  await row.waitFor({ timeout: 15000 });
  a.once('dialog', d => d.accept('complaint 2026-91, from the row'));
  await row.locator('button.row-request').click();
  await row.locator('button.row-request', { hasText: /Requested \(#\d+\)/ }).waitFor({ timeout: 15000 });
  await a.screenshot({ path: path.join(SHOTS_DIR, 'clips-request.png'), fullPage: true });

  const approver = await signedIn('approver');
  const p = approver.page;
  const asked = p.locator('#requests tbody tr', { hasText: 'complaint 2026-91, from the row' });
  await asked.waitFor({ timeout: 15000 });
  const what = await asked.locator('td.subject').innerText();
  for (const part of ['camera 7700001', 'officer 100234', 'recorded ']) {
    assert.ok(what.includes(part), `the approver sees ${part}: ${what}`);
  }
  assert.ok(!/\d{4}-\d\d-\d\dT/.test(what), `the time is in the station's zone, not raw UTC: ${what}`);
  await asked.locator('button', { hasText: 'Approve' }).click();
  await p.locator('#requests tbody tr', { hasText: 'complaint 2026-91' }).filter({ hasText: 'approved by approver' }).waitFor({ timeout: 15000 });
  await p.screenshot({ path: path.join(SHOTS_DIR, 'access-subject.png'), fullPage: true });

  // A whole case, asked from Clips searched by the case: the approver sees its clips together,
  // and the asker watches any of them.
  await a.locator('#clip-search input[name=case]').fill(CASE);
  await a.locator('#clip-search button[type=submit]').click();
  const whole = a.locator('#clips-request-case');
  await whole.waitFor({ state: 'visible', timeout: 15000 });
  assert.ok((await whole.innerText()).includes(CASE), await whole.innerText());
  a.once('dialog', d => d.accept('court order 12, the whole case'));
  await whole.click();
  await a.locator('#clips-request-case', { hasText: /Requested \(#\d+\)/ }).waitFor({ timeout: 15000 });
  await p.reload();
  const forCase = p.locator('#requests tbody tr', { hasText: 'court order 12, the whole case' });
  await forCase.waitFor({ timeout: 15000 });
  const asksFor = await forCase.locator('td.subject').innerText();
  for (const part of ['camera 7700001', 'officer 100234', '2 clips', `case ${CASE}`]) {
    assert.ok(asksFor.includes(part), `the approver sees ${part}: ${asksFor}`);
  }
  await forCase.locator('button', { hasText: 'Approve' }).click();
  await p.locator('#requests tbody tr', { hasText: 'court order 12' }).filter({ hasText: 'approved by approver' }).waitFor({ timeout: 15000 });
  await a.locator('a[data-route=access]').click();
  const caseRow = a.locator('#requests tbody tr', { hasText: 'court order 12, the whole case' });
  await caseRow.locator('button', { hasText: 'Watch' }).waitFor({ timeout: 15000 });
  const choices = await caseRow.locator('select[name=clip] option').evaluateAll(os => os.map(o => o.value));
  assert.equal(choices.length, 2, `both clips of the case offered: ${choices}`);
  const other = choices.find(c => c !== CLIP);
  await caseRow.locator('select[name=clip]').selectOption(other);
  await caseRow.locator('button', { hasText: 'Watch' }).click();
  await a.waitForFunction(() => {
    const v = document.querySelector('#player-video');
    return v && v.readyState >= 1 && v.duration > 0;
  }, null, { timeout: 30000 });
  assert.ok((await a.locator('#player-facts').innerText()).includes(other), 'the clip chosen is the one watched');
  await a.screenshot({ path: path.join(SHOTS_DIR, 'access-case.png'), fullPage: true });

  // Every role: the act form offers exactly the role's acts; Clips and the row's request as the
  // role table says.
  for (const [role, offered] of Object.entries(OFFERED)) {
    const who = await signedIn(role);
    const q = who.page;
    const shown = (await q.locator('#act-form button[data-do]:visible').evaluateAll(bs => bs.map(b => b.dataset.do))).sort();
    assert.deepEqual(shown, offered.acts, `${role}: the act form offers ${shown}`);
    assert.equal(await q.locator('#request-form').isVisible(), offered.request, `${role}: the request form`);
    assert.equal(await q.locator('.tabs a[data-route=clips]').isVisible(), offered.clips, `${role}: Clips`);
    if (offered.clips) {
      await q.locator('a[data-route=clips]').click();
      await q.locator(`#clips-table tr[data-sha="${CLIP}"]`).waitFor({ timeout: 15000 });
      const asks = await q.locator('#clips-table button.row-request:visible').count();
      assert.equal(asks > 0, offered.request, `${role}: request from a row`);
    }
    assert.deepEqual(who.errors, [], role);
    await who.context.close();
  }
  assert.deepEqual(auditor.errors, []);
  assert.deepEqual(approver.errors, []);
});

test('a reviewer draws a spot check, watches a clip and records a finding; an officer explains a gap; the compliance report shows both', async () => {
  const reviewer = await signedIn('reviewer');
  const r = reviewer.page;
  await r.locator('a[data-route=review]').click();
  const form = r.locator('#draw-form');
  await form.waitFor({ state: 'visible', timeout: 15000 });
  await form.locator('input[name=from]').fill('2026-11-01');
  await form.locator('input[name=to]').fill('2026-12-01');
  await form.locator('input[name=size]').fill('2');
  await form.locator('button[type=submit]').click();
  const drawn = r.locator('#drawn tbody tr[data-sha]');
  await drawn.first().waitFor({ timeout: 15000 });
  assert.equal(await drawn.count(), 2, 'both clips of the day drawn');
  assert.match(await r.locator('#drawn-heading').innerText(), /Spot check #\d+: 2 of 2 clips, seed \d+/);
  const sha = await drawn.first().getAttribute('data-sha');

  // Watching a drawn clip: asked from its row, approved by another account, watched on Access.
  r.once('dialog', d => d.accept('spot check: the drawn clip'));
  await drawn.first().locator('button.row-request-review').click();
  await drawn.first().locator('button', { hasText: /Requested/ }).waitFor({ timeout: 15000 });
  const approver = await signedIn('approver');
  const p = approver.page;
  const asked = p.locator('#requests tbody tr', { hasText: 'spot check: the drawn clip' });
  await asked.waitFor({ timeout: 15000 });
  await asked.locator('button', { hasText: 'Approve' }).click();
  await p.locator('#requests tbody tr', { hasText: 'spot check: the drawn clip' }).filter({ hasText: 'approved by approver' }).waitFor({ timeout: 15000 });
  await r.locator('a[data-route=access]').click();
  const approved = r.locator('#requests tbody tr', { hasText: 'spot check: the drawn clip' });
  await approved.locator('button', { hasText: 'Watch' }).waitFor({ timeout: 15000 });
  await approved.locator('button', { hasText: 'Watch' }).click();
  await r.waitForFunction(() => {
    const v = document.querySelector('#player-video');
    return v && v.readyState >= 1 && v.duration > 0;
  }, null, { timeout: 30000 });

  // The finding on the watched clip: sound failed.
  await r.locator('a[data-route=review]').click();
  const row = r.locator(`#drawn tbody tr[data-sha="${sha}"]`);
  await row.locator('select[name=sound-usable]').selectOption('fail');
  await row.locator('input[name=note]').fill('wind noise over the statement');
  await row.locator('button', { hasText: 'Record finding' }).click();
  await row.locator('.lead', { hasText: /Recorded \(#\d+\)/ }).waitFor({ timeout: 15000 });
  const register = r.locator('#review-register tbody');
  await register.locator('tr', { hasText: 'finding' }).waitFor({ timeout: 15000 });
  const entries = await register.innerText();
  for (const entry of ['spot check drawn', 'viewing', 'finding']) {
    assert.ok(entries.includes(entry), `the register lists the ${entry}:\n${entries}`);
  }
  await r.screenshot({ path: path.join(SHOTS_DIR, 'review-finding.png'), fullPage: true });

  // The officer whose recordings they are explains the gap between them.
  const officer = await signedIn('100234');
  const o = officer.page;
  await o.locator('a[data-route=review]').click();
  const gap = o.locator('#gaps tbody tr[data-gap]');
  await gap.first().waitFor({ timeout: 15000 });
  assert.equal(await o.locator('#draw-form').isVisible(), false, 'an officer draws no spot check');
  await gap.first().locator('select[name=reason]').selectOption('weather');
  await gap.first().locator('input[name=text]').fill('heavy rain, camera under the coat');
  await gap.first().locator('button', { hasText: 'Explain' }).click();
  await o.locator('#gaps tbody tr', { hasText: 'weather: heavy rain' }).waitFor({ timeout: 15000 });
  assert.match(await o.locator('#gaps tbody').innerText(), /by 100234, on 100234/);

  // The compliance report (the unit head's view) shows both.
  await p.locator('a[data-route=review]').click();
  await p.locator('#compliance-form button[type=submit]').click();
  const line = p.locator('#compliance tbody tr[data-officer="100234"]');
  await line.waitFor({ timeout: 15000 });
  const cells = await line.locator('td').allInnerTexts();
  // officer, recordings, recorded, in time, late, gaps, explained, open, findings, failed
  assert.deepEqual([cells[0], cells[1], cells[5], cells[6], cells[7], cells[8], cells[9]], ['100234', '2', '1', '1', '0', '1', '1'], cells.join(' | '));
  await p.screenshot({ path: path.join(SHOTS_DIR, 'review-compliance.png'), fullPage: true });
  // In Chinese: the page's words, the register's entries and the answers.
  await p.locator('button[data-lang=zh]').click();
  await p.locator('#view-review h1', { hasText: '检查' }).waitFor({ timeout: 15000 });
  await p.locator('#review-register tbody', { hasText: '检查结论' }).waitFor({ timeout: 15000 });
  await p.screenshot({ path: path.join(SHOTS_DIR, 'review-zh.png'), fullPage: true });
  for (const w of [reviewer, approver, officer]) assert.deepEqual(w.errors, []);
});

test('an equipment manager sees to an attention item from the fleet; an auditor only sees it', async () => {
  const em = await signedIn('equipment-manager');
  const m = em.page;
  await m.setViewportSize({ width: 1600, height: 700 }); // the whole fleet row in the screenshot
  await m.locator('a[data-route=fleet]').click();
  const item = m.locator('#fleet-table tr[data-camera="7700001"] li[data-code=unbound]');
  await item.locator('button.attn-ack').waitFor({ state: 'visible', timeout: 15000 });
  await item.locator('button.attn-ack').click();
  const dialog = m.locator('#ack-dialog');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await m.locator('#ack-what').innerText(), /7700001/);
  // A blank note is refused by the station, and says so in the dialog.
  await dialog.locator('button[value=ok]').click();
  await m.locator('#ack-error').filter({ hasText: 'note is needed' }).waitFor({ timeout: 15000 });
  await dialog.locator('textarea[name=note]').fill('card to be bound at the next dock');
  await dialog.locator('button[value=ok]').click();
  await dialog.waitFor({ state: 'hidden', timeout: 15000 });
  const done = m.locator('#fleet-table tr[data-camera="7700001"] li[data-code=unbound].acknowledged');
  await done.waitFor({ timeout: 15000 });
  assert.match(await done.innerText(), /Seen to by equipment-manager.*bound at the next dock/s);
  assert.equal(await done.locator('button.attn-ack').count(), 0, 'nothing left to acknowledge on it');
  await m.screenshot({ path: path.join(SHOTS_DIR, 'fleet-acknowledged.png'), fullPage: true });
  // Assign… takes the manager to the assignment, the camera filled in.
  await m.locator('#fleet-table tr[data-camera="7700001"] button.row-assign').click();
  await m.locator('#view-access').waitFor({ state: 'visible' });
  assert.equal(await m.locator('#act-form input[name=camera]').inputValue(), '7700001');

  // The auditor sees the fleet and the mark, and is offered no button.
  const auditor = await signedIn('auditor');
  const a = auditor.page;
  await a.locator('a[data-route=fleet]').click();
  await a.locator('#fleet-table tr[data-camera="7700001"] li[data-code=unbound].acknowledged').waitFor({ timeout: 15000 });
  assert.equal(await a.locator('#fleet-table button.attn-ack:visible').count(), 0);
  assert.equal(await a.locator('#fleet-table button.row-assign:visible').count(), 0);
  assert.deepEqual(em.errors, []);
  assert.deepEqual(auditor.errors, []);
});

test('a newcomer signs in with the one-time secret and sets a password in the page', async () => {
  const fresh = await signedIn('newcomer', SECRET);
  const p = fresh.page;
  await p.locator('#password-form').waitFor({ state: 'visible' });
  assert.equal(await p.locator('#password-lead').isVisible(), true, 'the page says why');
  assert.equal(await p.locator('#request-form').isVisible(), false, 'nothing else until then');
  const f = p.locator('#password-form');
  const chosen = 'newcomer chose this 2026';
  await f.locator('input[name=current]').fill(SECRET);
  await f.locator('input[name=new]').fill(chosen);
  await f.locator('input[name=repeat]').fill(chosen + ' typo');
  await f.locator('button[type=submit]').click();
  await p.locator('#password-result').filter({ hasText: 'differ' }).waitFor();
  await f.locator('input[name=repeat]').fill(chosen);
  await f.locator('button[type=submit]').click();
  await p.locator('#password-result').filter({ hasText: 'Password set' }).waitFor({ timeout: 15000 });
  await p.locator('#request-form').waitFor({ state: 'visible' });
  assert.equal(await p.locator('#password-lead').isVisible(), false);
  // An officer may ask for access, and is offered nothing an officer may not do.
  assert.equal(await p.locator('#act-form').isVisible(), false);
  assert.equal(await p.locator('.tabs a[data-route=fleet]').isVisible(), false);
  assert.equal(await p.locator('.tabs a[data-route=clips]').isVisible(), false);
  await p.screenshot({ path: path.join(SHOTS_DIR, 'password-set.png'), fullPage: true });
  // The secret is spent; the chosen password signs in.
  const status = await p.evaluate(async s => (await fetch('/api/v1/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ account: 'newcomer', password: s }),
  })).status, SECRET);
  assert.equal(status, 401);
  const again = await signedIn('newcomer', chosen);
  assert.equal(await again.page.locator('#password-lead').isVisible(), false);
  assert.deepEqual(fresh.errors, []);
});

test('an admin adds an account, hands over its one-time secret, and disables it', async () => {
  const admin = await signedIn('admin');
  const p = admin.page;
  const card = p.locator('#accounts-card');
  await card.waitFor({ state: 'visible', timeout: 15000 });
  // The admin keeps accounts and sees no evidence: no request form, no Fleet, no Clips.
  assert.equal(await p.locator('#request-form').isVisible(), false);
  assert.equal(await p.locator('.tabs a[data-route=clips]').isVisible(), false);
  await card.locator('tr[data-account=auditor]').waitFor({ timeout: 15000 });
  const form = p.locator('#account-form');
  await form.locator('input[name=name]').fill('temp-officer');
  await form.locator('input[value=officer]').check();
  await form.locator('button[type=submit]').click();
  const said = p.locator('#account-secret');
  await said.filter({ hasText: 'temp-officer' }).waitFor({ timeout: 15000 });
  const secret = (await said.innerText()).split(': ').pop().trim();
  assert.match(secret, /^\S{20,}$/, `a one-time secret is shown once: ${await said.innerText()}`);
  const row = card.locator('tr[data-account=temp-officer]');
  await row.filter({ hasText: 'one-time secret not yet used' }).waitFor({ timeout: 15000 });
  // The secret is real: it signs in (to set a password, nothing else).
  const signIn = pw => p.evaluate(async ([account, password]) => {
    const r = await fetch('/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ account, password }) });
    return [r.status, (await r.json().catch(() => ({}))).must_change_password];
  }, ['temp-officer', pw]);
  // (Signing in here replaces the admin's session cookie: sign the admin back in after.)
  assert.deepEqual(await signIn(secret), [200, true]);
  const again = await signedIn('admin');
  const q = again.page;
  q.once('dialog', d => d.accept('left the unit'));
  await q.locator('#accounts-card tr[data-account=temp-officer] button', { hasText: 'Disable' }).click();
  await q.locator('#accounts-card tr[data-account=temp-officer]', { hasText: 'disabled' }).waitFor({ timeout: 15000 });
  assert.equal(await q.locator('#accounts-card tr[data-account=admin] button').count(), 0, 'no disabling oneself');
  await q.screenshot({ path: path.join(SHOTS_DIR, 'accounts.png'), fullPage: true });
  const [status] = await q.evaluate(async ([account, password]) => {
    const r = await fetch('/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ account, password }) });
    return [r.status];
  }, ['temp-officer', secret]);
  assert.equal(status, 401, 'a disabled account signs in no more');
  assert.deepEqual(admin.errors, []);
  assert.deepEqual(again.errors, []);
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
