// camdock dashboard: signing in, one's own password, the Access page (requests and approvals,
// watching a clip, tagging, holds, assignments, an admin's accounts), and acting from the Fleet (attention items seen
// to, a camera assigned). Everything here acts as the signed-in account through
// /api/v1 (docs/API.md); the server decides what each role may do, this page only offers it.
// On a station without accounts nothing here shows. /kiosk shows the dock tiles alone.
(function () {
  'use strict';

  const TEXT = {
    en: {
      'signin.account': 'Account', 'signin.password': 'Password', 'signin.go': 'Sign in', 'signin.out': 'Sign out',
      'signin.failed': 'Wrong account or password.', 'signin.limited': 'Too many failed sign-ins: wait and try again.',
      'signin.change': 'Signed in with a one-time secret: set your password first (below).',
      'access.heading': 'Access to evidence',
      'access.lead': 'Viewing or copying a recording needs the approval of another account with the approver role. Every step is on the access register.',
      'request.heading': 'Request access', 'request.act': 'What', 'request.clip': 'Clip (SHA-256)', 'request.reason': 'Reason', 'request.go': 'Ask',
      'act.view': 'View', 'act.copy': 'Copy', 'act.export': 'Export', 'act.purge': 'Purge',
      'act.heading': 'Act on a clip or camera', 'act.case': 'Case', 'act.tag': 'Tag to case', 'act.hold': 'Place hold', 'act.release': 'Release hold',
      'act.camera': 'Camera', 'act.officer': 'Officer', 'act.assign': 'Assign camera', 'act.done': 'Done: {what}.',
      'requests.heading': 'Requests', 'register.heading': 'Access register', 'player.heading': 'Watching',
      'col.id': '#', 'col.act': 'What', 'col.clip': 'Clip', 'col.by': 'Asked by', 'col.reason': 'Reason', 'col.state': 'State', 'col.at': 'When', 'col.kind': 'Event', 'col.actor': 'Account',
      'state.pending': 'pending', 'state.approved': 'approved by {who}', 'state.refused': 'refused by {who}', 'state.used': 'used',
      'btn.approve': 'Approve', 'btn.refuse': 'Refuse', 'btn.watch': 'Watch',
      'fact.sha256': 'SHA-256', 'fact.blake3': 'BLAKE3', 'fact.bytes': 'Bytes', 'fact.camera': 'Camera', 'fact.stored': 'Stored (ledger event)',
      'none.requests': 'No requests.', 'none.register': 'Nothing on the register yet.',
      'password.heading': 'Your password', 'password.lead': 'Signed in with a one-time secret: choose your own password before anything else.',
      'password.current': 'Current password (or one-time secret)', 'password.new': 'New password', 'password.repeat': 'New password again',
      'password.go': 'Set password', 'password.mismatch': 'The two new passwords differ.', 'password.done': 'Password set; signed in with it.',
      'ack.heading': 'Acknowledge', 'ack.what': 'Camera {camera}: {item}', 'ack.note': 'What was done about it (on the record)',
      'ack.go': 'Record', 'ack.cancel': 'Cancel',
      'accounts.heading': 'Accounts', 'accounts.name': 'Name', 'accounts.roles': 'Roles', 'accounts.add': 'Add account',
      'accounts.secret': "Account '{name}' added. Its one-time secret, shown this once — hand it over in person: {secret}",
      'accounts.disable': 'Disable', 'accounts.why': "Why is '{name}' disabled? (on the record; the account is never deleted)",
      'accounts.active': 'active', 'accounts.pending': 'one-time secret not yet used', 'accounts.disabled': 'disabled',
      'col.name': 'Account', 'col.roles': 'Roles', 'none.accounts': 'No accounts.',
      'subject.camera': 'camera {c}', 'subject.officer': 'officer {o}', 'subject.recorded': 'recorded {at}', 'subject.case': 'case {c}',
      'request.why': 'Why do you need to view this clip? (on the record, for the approver)', 'request.filed': 'Requested (#{id})',
      'request.whyCase': 'Why do you need to view the clips of case {c}? (on the record, for the approver)', 'subject.clips': '{n} clips',
      'watch.which': 'Clip to watch',
    },
    zh: {
      'signin.account': '账号', 'signin.password': '密码', 'signin.go': '登录', 'signin.out': '退出',
      'signin.failed': '账号或密码错误。', 'signin.limited': '登录失败次数过多，请稍后再试。',
      'signin.change': '使用一次性口令登录：请先设置密码（见下方）。',
      'access.heading': '证据调阅',
      'access.lead': '查看或复制录像须经另一名具有审批角色的账号批准。每一步都记入调阅登记。',
      'request.heading': '申请调阅', 'request.act': '事项', 'request.clip': '录像（SHA-256）', 'request.reason': '事由', 'request.go': '提交申请',
      'act.view': '查看', 'act.copy': '复制', 'act.export': '导出', 'act.purge': '清除',
      'act.heading': '处理录像或记录仪', 'act.case': '案件', 'act.tag': '关联案件', 'act.hold': '保全', 'act.release': '解除保全',
      'act.camera': '记录仪', 'act.officer': '警员', 'act.assign': '分配记录仪', 'act.done': '已完成：{what}。',
      'requests.heading': '申请', 'register.heading': '调阅登记', 'player.heading': '正在查看',
      'col.id': '#', 'col.act': '事项', 'col.clip': '录像', 'col.by': '申请人', 'col.reason': '事由', 'col.state': '状态', 'col.at': '时间', 'col.kind': '事件', 'col.actor': '账号',
      'state.pending': '待审批', 'state.approved': '{who} 已批准', 'state.refused': '{who} 已拒绝', 'state.used': '已使用',
      'btn.approve': '批准', 'btn.refuse': '拒绝', 'btn.watch': '查看',
      'fact.sha256': 'SHA-256', 'fact.blake3': 'BLAKE3', 'fact.bytes': '字节', 'fact.camera': '记录仪', 'fact.stored': '入库（账本事件）',
      'none.requests': '暂无申请。', 'none.register': '调阅登记暂无记录。',
      'password.heading': '我的密码', 'password.lead': '使用一次性口令登录：请先设置自己的密码。',
      'password.current': '当前密码（或一次性口令）', 'password.new': '新密码', 'password.repeat': '再次输入新密码',
      'password.go': '设置密码', 'password.mismatch': '两次输入的新密码不一致。', 'password.done': '密码已设置，并已用新密码登录。',
      'ack.heading': '确认处理', 'ack.what': '记录仪 {camera}：{item}', 'ack.note': '采取了什么措施（记入账本）',
      'ack.go': '记录', 'ack.cancel': '取消',
      'accounts.heading': '账号', 'accounts.name': '账号名', 'accounts.roles': '角色', 'accounts.add': '添加账号',
      'accounts.secret': '已添加账号“{name}”。一次性口令仅显示这一次，请当面交付：{secret}',
      'accounts.disable': '停用', 'accounts.why': '停用“{name}”的原因？（记入账本；账号永不删除）',
      'accounts.active': '正常', 'accounts.pending': '一次性口令尚未使用', 'accounts.disabled': '已停用',
      'col.name': '账号', 'col.roles': '角色', 'none.accounts': '暂无账号。',
      'subject.camera': '记录仪 {c}', 'subject.officer': '警号 {o}', 'subject.recorded': '录制于 {at}', 'subject.case': '案件 {c}',
      'request.why': '调阅此录像的事由？（记入账本，供审批人查看）', 'request.filed': '已申请（#{id}）',
      'request.whyCase': '调阅案件 {c} 全部录像的事由？（记入账本，供审批人查看）', 'subject.clips': '{n} 条录像',
      'watch.which': '要查看的录像',
    },
  };
  const lang = () => (document.documentElement.lang || 'en').startsWith('zh') ? 'zh' : 'en';
  const t = (k, p) => String((TEXT[lang()] || TEXT.en)[k] ?? TEXT.en[k] ?? k).replace(/\{(\w+)\}/g, (_, n) => (p && p[n] != null ? p[n] : ''));
  const $ = (s, r) => (r || document).querySelector(s);
  const el = (tag, props, kids) => {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    (kids || []).forEach(k => e.append(k));
    return e;
  };

  const me = { account: null, roles: [], may: [], csrf: '', accounts: false };
  // What the signed-in account's roles allow (the server's role table, as /api/v1/session lists it).
  const can = act => me.may.includes(act);

  async function api(method, url, body) {
    const res = await fetch(url, {
      method,
      headers: Object.assign({ Accept: 'application/json' }, body ? { 'Content-Type': 'application/json' } : {},
        method !== 'GET' ? { 'X-CSRF-Token': me.csrf } : {}),
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
      credentials: 'same-origin',
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) { const e = new Error(data.error || res.statusText); e.status = res.status; throw e; }
    return data;
  }

  function showError(msg) {
    const b = $('#access-error');
    b.textContent = msg || '';
    b.hidden = !msg;
  }

  function applyText() {
    document.querySelectorAll('[data-access]').forEach(e => { e.textContent = t(e.dataset.access); });
    document.querySelectorAll('[data-access-placeholder]').forEach(e => {
      e.placeholder = t(e.dataset.accessPlaceholder);
      e.setAttribute('aria-label', t(e.dataset.accessPlaceholder));
    });
  }

  function renderWho() {
    const signedIn = !!me.account;
    $('#signin').hidden = !me.accounts || signedIn || kiosk();
    $('#whoami').hidden = !signedIn;
    $('#whoami-name').textContent = signedIn ? `${me.account} (${me.roles.join(', ')})` : '';
    $('#tab-access').hidden = !signedIn;
    $('#tab-review').hidden = !signedIn || !['review', 'explain-gap', 'see-register', 'see-clips'].some(can);
    // Only what the account may use is offered; the server still decides every request. A
    // station without accounts shows every view (read-only) as before.
    const must = signedIn && !!me.must_change_password;
    document.body.classList.toggle('must-change', must);
    document.body.classList.toggle('can-acknowledge', can('acknowledge-attention'));
    document.body.classList.toggle('can-assign', can('assign-camera'));
    document.body.classList.toggle('can-request', signedIn && can('request-access'));
    const offer = (route, act) => { $(`.tabs a[data-route=${route}]`).hidden = me.accounts && !can(act); };
    offer('fleet', 'see-fleet');
    offer('clips', 'see-clips');
    offer('audit', 'see-clips');
    const here = $(`.tabs a[data-route="${location.hash.slice(1)}"]`);
    if (here && here.hidden) location.hash = '#dock';
    $('#password-lead').hidden = !must;
    // Each act only to a role that may do it: an auditor is not offered Tag, nor an approver Assign.
    const ACTS = { tag: 'tag-clip', hold: 'place-hold', release: 'release-hold', assign: 'assign-camera' };
    for (const [what, act] of Object.entries(ACTS)) $(`#act-form [data-do=${what}]`).hidden = !can(act);
    $('#act-form').querySelectorAll('[data-for]').forEach(e => {
      e.hidden = !e.dataset.for.split(' ').some(what => can(ACTS[what]));
    });
    $('#act-form').hidden = !Object.values(ACTS).some(can);
    $('#request-form').hidden = !can('request-access');
    const asks = can('request-access') || can('decide-access');
    $('#requests-heading').hidden = !asks;
    $('#requests-wrap').hidden = !asks;
  }

  const kiosk = () => location.pathname === '/kiosk';

  async function loadMe() {
    try {
      Object.assign(me, { account: null, roles: [], may: [], csrf: '' }, await api('GET', '/api/v1/session'));
      me.accounts = me.accounts !== false;
    } catch (e) {
      me.account = null;
      me.accounts = e.status === 401;
    }
    renderWho();
    if (me.account) refresh();
  }

  async function signIn(ev) {
    ev.preventDefault();
    const f = ev.target;
    try {
      Object.assign(me, await api('POST', '/api/v1/session', { account: f.account.value.trim(), password: f.password.value }));
      f.reset();
      showError(me.must_change_password ? t('signin.change') : '');
      renderWho();
      location.hash = '#access';
      refresh();
      window.dispatchEvent(new Event('camdock:signed-in'));
    } catch (e) {
      alertTop(e.status === 429 ? t('signin.limited') : t('signin.failed'));
    }
  }

  function alertTop(msg) {
    const b = $('#banner');
    b.textContent = msg;
    b.hidden = false;
    setTimeout(() => { b.hidden = true; }, 6000);
  }

  async function signOut() {
    try { await api('DELETE', '/api/v1/session'); } catch (_) { /* gone already */ }
    Object.assign(me, { account: null, roles: [], may: [], csrf: '', must_change_password: false });
    $('#player').hidden = true;
    $('#player-video').removeAttribute('src');
    renderWho();
    location.hash = '#dock';
    window.dispatchEvent(new Event('camdock:signed-out'));
  }

  // Own password: after a one-time secret (nothing else is allowed until then), or any time.
  // Changing it ends every session of the account, so the page signs in again with the new one.
  async function setPassword(ev) {
    ev.preventDefault();
    const f = ev.target;
    const result = $('#password-result');
    if (f.new.value !== f.repeat.value) { result.textContent = t('password.mismatch'); return; }
    try {
      await api('POST', '/api/v1/session/password', { current: f.current.value, new: f.new.value });
      Object.assign(me, await api('POST', '/api/v1/session', { account: me.account, password: f.new.value }));
      f.reset();
      result.textContent = t('password.done');
      showError('');
      renderWho();
      refresh();
      window.dispatchEvent(new Event('camdock:signed-in'));
    } catch (e) { result.textContent = e.message; }
  }

  // The fleet's buttons (app.js draws them): see to an attention item, or assign the camera.
  function onFleetClick(ev) {
    const ack = ev.target.closest('button.attn-ack');
    if (ack) {
      const d = $('#ack-dialog');
      d.dataset.camera = ack.dataset.camera;
      d.dataset.code = ack.dataset.code;
      $('#ack-what').textContent = t('ack.what', { camera: ack.dataset.camera, item: ack.dataset.text });
      $('#ack-error').hidden = true;
      $('#ack-form').reset();
      d.showModal();
      return;
    }
    const assign = ev.target.closest('button.row-assign');
    if (assign) {
      location.hash = '#access';
      const f = $('#act-form');
      f.camera.value = assign.dataset.camera;
      f.officer.focus();
    }
  }

  async function acknowledge(ev) {
    if (ev.submitter && ev.submitter.value === 'cancel') return; // the dialog closes itself
    ev.preventDefault();
    const d = $('#ack-dialog');
    const note = ev.target.note.value.trim();
    try {
      await api('POST', `/api/v1/cameras/${encodeURIComponent(d.dataset.camera)}/attention/${encodeURIComponent(d.dataset.code)}/acknowledgement`, { note });
      d.close();
      window.dispatchEvent(new Event('camdock:fleet-changed'));
    } catch (e) {
      const b = $('#ack-error');
      b.textContent = e.message;
      b.hidden = false;
    }
  }

  function stateOf(r) {
    if (r.approved === true) return r.used ? t('state.used') : t('state.approved', { who: r.decided_by });
    if (r.approved === false) return t('state.refused', { who: r.decided_by });
    return t('state.pending');
  }

  function table(sel, heads, rows, empty) {
    const tb = $(sel);
    tb.tHead.replaceChildren(el('tr', {}, heads.map(h => el('th', { textContent: t(h) }))));
    tb.tBodies[0].replaceChildren(...(rows.length ? rows : [el('tr', {}, [el('td', { textContent: t(empty), colSpan: heads.length })])]));
  }

  // What a request asks for, as the approver needs it: camera, officer, recorded time, size, case.
  function subjectOf(r) {
    const s = r.subject;
    if (!s) return r.sha256 ? r.sha256.slice(0, 12) + '…' : (r.case ? t('subject.case', { c: r.case }) : '');
    const parts = [t('subject.camera', { c: s.camera })];
    if (s.officer) parts.push(t('subject.officer', { o: s.officer }));
    if (s.recorded_at) parts.push(t('subject.recorded', { at: localTime(s.recorded_at) }));
    if (s.clips > 1) parts.push(t('subject.clips', { n: s.clips }));
    parts.push(fmtSize(s.bytes));
    if (s.cases && s.cases.length) parts.push(t('subject.case', { c: s.cases.join(', ') }));
    return parts.join(' · ');
  }

  // A time in the station's zone (the browser's), not raw UTC.
  function localTime(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  }

  function fmtSize(b) {
    const u = ['B', 'KiB', 'MiB', 'GiB'];
    let i = 0; let v = Number(b) || 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i += 1; }
    return (i ? v.toFixed(1) : String(v)) + ' ' + u[i];
  }

  // Asking from a clip's row in Clips: the reason asked for in place, the request filed for view.
  async function requestFromRow(ev) {
    const b = ev.target.closest('button[data-request]');
    if (!b) return;
    ev.stopPropagation();
    const reason = window.prompt(t('request.why'));
    if (!reason || !reason.trim()) return;
    try {
      const made = await api('POST', '/api/v1/approvals', { act: 'view', clip: b.dataset.request, reason: reason.trim() });
      b.textContent = t('request.filed', { id: made.id });
      b.disabled = true;
      showError('');
    } catch (e) { showError(e.message); }
  }

  // Asking for a whole case from Clips (searched by case): one request, every clip the case holds
  // now, shown to the approver as such.
  async function requestCase(ev) {
    const b = ev.currentTarget;
    const c = b.dataset.case;
    if (!c) return;
    const reason = window.prompt(t('request.whyCase', { c }));
    if (!reason || !reason.trim()) return;
    try {
      const made = await api('POST', '/api/v1/approvals', { act: 'view', case: c, reason: reason.trim() });
      b.textContent = t('request.filed', { id: made.id });
      showError('');
    } catch (e) { showError(e.message); }
  }

  async function loadRequests() {
    const list = await api('GET', '/api/v1/approvals');
    const rows = list.map(r => {
      const actions = el('td');
      if (r.approved == null && can('decide-access') && r.requested_by !== me.account) {
        actions.append(el('button', { type: 'button', textContent: t('btn.approve'), className: 'primary', onclick: () => decide(r.id, true) }), ' ',
          el('button', { type: 'button', textContent: t('btn.refuse'), onclick: () => decide(r.id, false) }));
      }
      if (r.approved === true && r.act === 'view' && r.requested_by === me.account && r.sha256) {
        actions.append(el('button', { type: 'button', textContent: t('btn.watch'), className: 'primary', onclick: () => watch(r.id) }));
      } else if (r.approved === true && r.act === 'view' && r.requested_by === me.account && r.clips && r.clips.length) {
        // A case's approval: any of the clips approved, one viewing each on the register.
        const which = el('select', { name: 'clip', title: t('watch.which') }, r.clips.map(c => el('option', { value: c, textContent: c.slice(0, 12) + '…' })));
        actions.append(which, ' ', el('button', { type: 'button', textContent: t('btn.watch'), className: 'primary', onclick: () => watch(r.id, which.value) }));
      }
      const tr = el('tr', {}, [
        el('td', { textContent: '#' + r.id }), el('td', { textContent: t('act.' + r.act) }),
        el('td', { textContent: subjectOf(r), title: r.sha256 || '', className: 'subject' }),
        el('td', { textContent: r.requested_by }), el('td', { textContent: r.reason }),
        el('td', { textContent: stateOf(r) }), actions,
      ]);
      tr.dataset.request = r.id;
      return tr;
    });
    table('#requests', ['col.id', 'col.act', 'col.clip', 'col.by', 'col.reason', 'col.state', ''], rows, 'none.requests');
  }

  async function loadRegister() {
    const may = can('see-register');
    $('#register').hidden = !may;
    $('#register-heading').hidden = !may;
    if (!may) return;
    const events = await api('GET', '/api/v1/access-log');
    const rows = events.slice(-200).reverse().map(e => el('tr', {}, [
      el('td', { textContent: localTime(e.at), title: e.at }), el('td', { textContent: window.camdockKind(e.kind), title: e.kind }),
      el('td', { textContent: (e.clip || e.clip_sha256 || '').slice(0, 12) }), el('td', { textContent: e.actor }),
      el('td', { textContent: (e.detail && (e.detail.reason || e.detail.note)) || '' }),
    ]));
    table('#register', ['col.at', 'col.kind', 'col.clip', 'col.actor', 'col.reason'], rows, 'none.register');
  }

  // An admin's: every account, adding one (its one-time secret shown once), disabling one.
  async function loadAccounts() {
    const may = can('manage-accounts');
    $('#accounts-card').hidden = !may;
    if (!may) return;
    const list = await api('GET', '/api/v1/accounts');
    const rows = list.map(a => {
      const actions = el('td');
      if (!a.disabled && a.name !== me.account) {
        actions.append(el('button', { type: 'button', textContent: t('accounts.disable'), onclick: () => disableAccount(a.name) }));
      }
      const state = a.disabled ? 'accounts.disabled' : a.must_change_password ? 'accounts.pending' : 'accounts.active';
      const tr = el('tr', {}, [el('td', { textContent: a.name }), el('td', { textContent: a.roles.join(', ') }),
        el('td', { textContent: t(state) }), actions]);
      tr.dataset.account = a.name;
      return tr;
    });
    table('#accounts', ['col.name', 'col.roles', 'col.state', ''], rows, 'none.accounts');
  }

  async function addAccount(ev) {
    ev.preventDefault();
    const f = ev.target;
    const roles = [...f.querySelectorAll('input[name=role]:checked')].map(c => c.value);
    try {
      const made = await api('POST', '/api/v1/accounts', { name: f.name.value.trim(), roles });
      $('#account-secret').textContent = t('accounts.secret', { name: made.account, secret: made.one_time_secret });
      f.reset();
      showError('');
    } catch (e) { showError(e.message); }
    loadAccounts().catch(e => showError(e.message));
  }

  async function disableAccount(name) {
    const reason = window.prompt(t('accounts.why', { name }));
    if (!reason || !reason.trim()) return;
    try { await api('POST', `/api/v1/accounts/${encodeURIComponent(name)}/disable`, { reason: reason.trim() }); showError(''); } catch (e) { showError(e.message); }
    loadAccounts().catch(e => showError(e.message));
  }

  async function refresh() {
    if (!me.account) return;
    try { await Promise.all([loadRequests(), loadRegister(), loadAccounts()]); } catch (e) { showError(e.message); }
  }

  async function decide(id, approve) {
    try { await api('POST', `/api/v1/approvals/${id}/decision`, { approve, note: '' }); showError(''); } catch (e) { showError(e.message); }
    refresh();
  }

  async function watch(id, clip) {
    try {
      const f = await api('POST', `/api/v1/approvals/${id}/viewing`, clip ? { clip } : undefined);
      const facts = $('#player-facts');
      const fact = (k, v) => el('div', {}, [el('dt', { textContent: t(k) }), el('dd', { textContent: String(v ?? ''), className: 'mono' })]);
      const stored = f.stored_event ? `#${f.stored_event.seq} ${localTime(f.stored_event.at)} ${f.stored_event.hash}` : '';
      facts.replaceChildren(fact('fact.sha256', f.sha256), fact('fact.blake3', f.blake3), fact('fact.bytes', f.bytes),
        fact('fact.camera', f.camera), fact('fact.stored', stored));
      $('#player').hidden = false;
      $('#player-video').src = f.content;
      showError('');
    } catch (e) { showError(e.message); }
    refresh();
  }

  async function requestAccess(ev) {
    ev.preventDefault();
    const f = ev.target;
    try {
      await api('POST', '/api/v1/approvals', { act: f.act.value, clip: f.clip.value.trim(), reason: f.reason.value.trim() });
      f.reason.value = '';
      showError('');
    } catch (e) { showError(e.message); }
    refresh();
  }

  async function act(ev) {
    const b = ev.target.closest('button[data-do]');
    if (!b) return;
    const f = $('#act-form');
    const clip = f.clip.value.trim();
    const calls = {
      tag: () => api('POST', `/api/v1/clips/${encodeURIComponent(clip)}/tags`, { case: f.case.value.trim() }),
      hold: () => api('POST', `/api/v1/clips/${encodeURIComponent(clip)}/hold`, { reason: f.reason.value.trim() }),
      release: () => api('POST', `/api/v1/clips/${encodeURIComponent(clip)}/release`, { reason: f.reason.value.trim() }),
      assign: () => api('POST', `/api/v1/cameras/${encodeURIComponent(f.camera.value.trim())}/assignment`, { officer: f.officer.value.trim() }),
    };
    try {
      await calls[b.dataset.do]();
      $('#act-result').textContent = t('act.done', { what: b.textContent });
      showError('');
    } catch (e) { showError(e.message); $('#act-result').textContent = ''; }
  }

  // For the Review page (review.js): the same session, calls and words.
  window.camdockAccess = {
    api, can, localTime, fmtSize, el, table,
    account: () => me.account,
    lang,
    requestView: async (sha, reason, review) => api('POST', '/api/v1/approvals', { act: 'view', clip: sha, reason, review }),
  };

  function init() {
    if (kiosk()) {
      document.body.classList.add('kiosk');
      if (location.hash !== '#dock') location.hash = '#dock';
    }
    applyText();
    new MutationObserver(() => { applyText(); refresh(); }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    $('#signin').addEventListener('submit', signIn);
    $('#signout').addEventListener('click', signOut);
    $('#request-form').addEventListener('submit', requestAccess);
    $('#act-form').addEventListener('click', act);
    $('#clips-table').addEventListener('click', requestFromRow, true);
    $('#clips-request-case').addEventListener('click', requestCase);
    $('#password-form').addEventListener('submit', setPassword);
    $('#account-form').addEventListener('submit', addAccount);
    $('#fleet-table').addEventListener('click', onFleetClick);
    $('#ack-form').addEventListener('submit', acknowledge);
    window.addEventListener('hashchange', () => { if (location.hash === '#access') refresh(); });
    setInterval(() => { if (location.hash === '#access') refresh(); }, 10000);
    loadMe();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
