// The hub's dashboard: the bureau's fleet by unit and station, overdue across stations, each
// station's standing, the alarms, and clips found across the bureau. Reads /api/v1/bureau/… (the
// gate decides each request by the station's role table); English and Chinese.
(() => {
  'use strict';
  const I18N = {
    en: {
      'app.subtitle': 'Bureau hub',
      'tab.fleet': 'Fleet', 'tab.overdue': 'Overdue', 'tab.stations': 'Stations', 'tab.alarms': 'Alarms', 'tab.clips': 'Clips',
      'signin.account': 'Account', 'signin.password': 'Password', 'signin.go': 'Sign in', 'signin.out': 'Sign out',
      'signin.needed': 'Sign in with an account of the hub to see the bureau.',
      'signin.wrong': 'Wrong account or password.',
      'signin.change': 'This account still has its one-time secret: set its own password first (camdock --config /etc/camdock/hub.toml account password --as NAME).',
      'refused': 'Your roles do not allow this view.',
      'fleet.heading': 'Bureau fleet', 'fleet.unit': 'Unit {unit}', 'fleet.noUnit': 'Not yet docked at an enrolled station',
      'fleet.sum.cameras': 'cameras', 'fleet.sum.out': 'out', 'fleet.sum.overdue': 'overdue', 'fleet.sum.stations': 'stations',
      'col.camera': 'Camera', 'col.state': 'State', 'col.where': 'Last seen', 'col.docked': 'Last docked', 'col.undocked': 'Last undocked',
      'col.station': 'Station', 'col.unit': 'Unit', 'col.head': 'Events loaded', 'col.last': 'Newest event', 'col.backlog': 'Not replicated',
      'col.alarms': 'Alarms', 'col.raised': 'Raised', 'col.alarm': 'Alarm', 'col.says': 'What was found', 'col.repair': 'What to do',
      'col.battery': 'Battery', 'col.clock': 'Clock', 'col.attention': 'Needs attention', 'clock.off': '{d} off', 'clock.ok': 'within {d}', 'dur.s': '{n} s', 'dur.min': '{n} min', 'dur.h': '{n} h',
      'col.officer': 'Officer', 'col.recorded': 'Recorded', 'col.clip': 'Clip (SHA-256)', 'col.cases': 'Cases', 'col.source': 'File on the camera', 'col.seq': 'Event',
      'state.docked': 'Docked', 'state.out': 'Out', 'state.overdue': 'Overdue', 'state.silent': 'Silent', 'state.live': 'Reporting', 'state.broken': 'Chain broken',
      'at': '{station} at {t}',
      'overdue.heading': 'Overdue across stations', 'overdue.none': 'No camera is overdue anywhere in the bureau.',
      'overdue.lead': 'Undocked at one station and docked at none since, for more than {limit}.',
      'stations.heading': 'Stations', 'stations.lead': 'A station with no new event for {limit} is silent.',
      'alarms.heading': 'Alarms', 'alarms.none': 'No alarm on record.',
      'clips.heading': 'Recordings across the bureau', 'clips.camera': 'Camera', 'clips.officer': 'Officer', 'clips.case': 'Case',
      'clips.from': 'From', 'clips.to': 'To', 'clips.search': 'Search', 'clips.reset': 'Clear',
      'clips.none': 'No recording matches.', 'clips.found': '{n} recording(s) found', 'clips.capped': 'the newest {n} shown: narrow the search',
      'none': '—',
    },
    zh: {
      'app.subtitle': '局级汇聚中心',
      'tab.fleet': '装备', 'tab.overdue': '逾期', 'tab.stations': '采集站', 'tab.alarms': '告警', 'tab.clips': '录像',
      'signin.account': '账号', 'signin.password': '密码', 'signin.go': '登录', 'signin.out': '退出',
      'signin.needed': '请使用汇聚中心的账号登录后查看全局情况。',
      'signin.wrong': '账号或密码错误。',
      'signin.change': '该账号仍在使用一次性密码：请先设置自己的密码（camdock --config /etc/camdock/hub.toml account password --as 账号）。',
      'refused': '您的角色无权查看此页面。',
      'fleet.heading': '全局装备', 'fleet.unit': '单位 {unit}', 'fleet.noUnit': '尚未在已登记的采集站接入',
      'fleet.sum.cameras': '台执法记录仪', 'fleet.sum.out': '台外出', 'fleet.sum.overdue': '台逾期未归', 'fleet.sum.stations': '个采集站',
      'col.camera': '执法记录仪', 'col.state': '状态', 'col.where': '最后所在', 'col.docked': '最后接入', 'col.undocked': '最后取走',
      'col.station': '采集站', 'col.unit': '单位', 'col.head': '已载入事件', 'col.last': '最新事件', 'col.backlog': '未上传',
      'col.alarms': '告警', 'col.raised': '发出时间', 'col.alarm': '告警', 'col.says': '发现的问题', 'col.repair': '处理办法',
      'col.battery': '电量', 'col.clock': '时钟', 'col.attention': '需要处理', 'clock.off': '偏差 {d}', 'clock.ok': '偏差 {d}以内', 'dur.s': '{n} 秒', 'dur.min': '{n} 分钟', 'dur.h': '{n} 小时',
      'col.officer': '警员', 'col.recorded': '录制时间', 'col.clip': '录像（SHA-256）', 'col.cases': '案件', 'col.source': '记录仪上的文件', 'col.seq': '事件',
      'state.docked': '已接入', 'state.out': '外出', 'state.overdue': '逾期未归', 'state.silent': '无音讯', 'state.live': '正常上报', 'state.broken': '链条断裂',
      'at': '{station}，{t}',
      'overdue.heading': '跨站逾期', 'overdue.none': '全局没有逾期未归的执法记录仪。',
      'overdue.lead': '在一个采集站取走后未在任何采集站接入，超过 {limit}。',
      'stations.heading': '采集站', 'stations.lead': '超过 {limit} 没有新事件的采集站视为无音讯。',
      'alarms.heading': '告警', 'alarms.none': '没有告警记录。',
      'clips.heading': '全局录像检索', 'clips.camera': '执法记录仪', 'clips.officer': '警员', 'clips.case': '案件',
      'clips.from': '起', 'clips.to': '止', 'clips.search': '检索', 'clips.reset': '清空',
      'clips.none': '没有符合条件的录像。', 'clips.found': '找到 {n} 条录像', 'clips.capped': '仅显示最新 {n} 条：请缩小检索范围',
      'none': '—',
      'alarm.unreadable': '无法读取', 'alarm.misnamed': '分段命名不符', 'alarm.rewritten': '分段被改写', 'alarm.chain-broken': '哈希链断裂',
      'alarm.bad-checkpoint': '检查点签名无效', 'alarm.checkpoint-differs': '检查点与链条不符', 'alarm.silent': '采集站无音讯',
      'alarm.unreplicated': '录像未上传', 'alarm.statement-replaced': '归还声明被覆盖', 'alarm.object-differs': '存储桶中的录像与台账不符', 'alarm.return-not-shown': '他站归还无据', 'alarm.hidden': '分段被删除标记遮蔽',
    },
  };
  const LANG_KEY = 'camdock.lang';
  const ROUTES = ['fleet', 'overdue', 'stations', 'alarms', 'clips'];
  const $ = s => document.querySelector(s);
  const $$ = s => Array.from(document.querySelectorAll(s));
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

  function detectLang() {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved && I18N[saved]) return saved;
    const prefs = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || 'en'];
    return prefs.some(l => /^zh/i.test(l)) ? 'zh' : 'en';
  }
  let lang = detectLang();
  function t(key, params) {
    let s = I18N[lang][key];
    if (s == null) s = I18N.en[key];
    if (s == null) return key;
    return s.replace(/\{(\w+)\}/g, (_, k) => (params && params[k] != null ? params[k] : ''));
  }
  const fmtTime = s => {
    if (!s) return t('none');
    const d = new Date(s);
    return isNaN(d) ? s : d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US', { dateStyle: 'medium', timeStyle: 'short' });
  };
  const at = (station, time) => station ? t('at', { station, t: fmtTime(time) }) : t('none');
  const badge = (state) => `<span class="badge" data-state="${esc(state)}">${esc(t('state.' + state))}</span>`;

  let me = null;
  let data = {};

  function applyLang() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    $$('[data-i18n]').forEach(el => { el.textContent = t(el.dataset.i18n); });
    $$('[data-i18n-placeholder]').forEach(el => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    $$('.lang-switch [data-lang]').forEach(b => b.setAttribute('aria-pressed', String(b.dataset.lang === lang)));
    render();
  }

  function banner(text) {
    const b = $('#banner');
    b.textContent = text || '';
    b.hidden = !text;
  }

  async function api(path, opts) {
    const r = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { 'Content-Type': 'application/json' } }, opts || {}));
    let body = null;
    try { body = await r.json(); } catch (_) { body = null; }
    return { status: r.status, body };
  }

  function route() {
    const h = (location.hash || '').replace(/^#/, '');
    return ROUTES.includes(h) ? h : 'fleet';
  }

  function show() {
    const r = route();
    $$('.view').forEach(v => { v.hidden = !me || v.dataset.view !== r; });
    $$('.tabs [data-route]').forEach(a => a.classList.toggle('active', a.dataset.route === r));
    if (me) load(r);
  }

  const VIEWS = {
    fleet: ['/api/v1/bureau/fleet', '/api/v1/bureau/stations'],
    overdue: ['/api/v1/bureau/fleet'],
    stations: ['/api/v1/bureau/stations'],
    alarms: ['/api/v1/bureau/alarms'],
    clips: [],
  };

  async function load(r) {
    for (const path of VIEWS[r]) {
      const got = await api(path);
      if (got.status === 401) { signedOut(); return; }
      if (got.status === 403) { banner(t('refused')); data[path] = null; continue; }
      if (got.status !== 200) { banner((got.body && got.body.error) || String(got.status)); continue; }
      banner('');
      data[path] = got.body;
    }
    render();
  }

  function table(sel, head, rows) {
    $(sel + ' thead').innerHTML = '<tr>' + head.map(h => `<th>${esc(t(h))}</th>`).join('') + '</tr>';
    $(sel + ' tbody').innerHTML = rows.join('');
  }

  // Why a camera needs attention: in English the station's own sentence, in Chinese the shared list.
  function attnText(a) {
    const zh = ((window.camdockAttention || {}).zh || {})['attn.' + a.code];
    if (lang === 'en' || zh == null) return a.text || a.code;
    return zh.replace(/\{(\w+)\}/g, (_, k) => (a.params && a.params[k] != null ? a.params[k] : ''));
  }
  function duration(ms) {
    const s = ms / 1000;
    if (s < 60) return t('dur.s', { n: s.toFixed(1) });
    if (s < 3600) return t('dur.min', { n: Math.round(s / 60) });
    return t('dur.h', { n: (s / 3600).toFixed(1) });
  }
  function healthCells(c) {
    const h = c.health, k = c.clock;
    const battery = h && h.battery_percent != null ? h.battery_percent + '%' : t('none');
    const clock = k && k.offset_ms != null
      ? `<span class="badge ${k.within_tolerance ? 'ok' : 'bad'}" data-clock="${k.within_tolerance ? 'ok' : 'off'}">${esc(t(k.within_tolerance ? 'clock.ok' : 'clock.off', { d: duration(Math.abs(k.offset_ms)) }))}</span>`
      : esc(t('none'));
    const items = h && Array.isArray(h.attention) ? h.attention : [];
    const attention = items.length ? '<ul class="attention">' + items.map(a => `<li data-code="${esc(a.code)}">${esc(attnText(a))}</li>`).join('') + '</ul>' : '';
    return `<td class="battery">${esc(battery)}</td><td>${clock}</td><td class="col-attention">${attention}</td>`;
  }

  function stateOf(c) { return c.overdue ? 'overdue' : (c.out ? 'out' : 'docked'); }

  function cameraRow(c) {
    return `<tr data-camera="${esc(c.camera)}"><td>${esc(c.camera)}</td><td>${badge(stateOf(c))}</td>${healthCells(c)}
      <td>${esc(at(c.docked_station, c.docked_at))}</td><td>${esc(at(c.undocked_station, c.undocked_at))}</td></tr>`;
  }

  function renderFleet() {
    const f = data['/api/v1/bureau/fleet'];
    const s = data['/api/v1/bureau/stations'];
    if (!f) return;
    const cams = f.cameras;
    const n = k => cams.filter(c => k === 'overdue' ? c.overdue : c.out).length;
    $('#fleet-summary').innerHTML = [['cameras', cams.length], ['out', n('out')], ['overdue', n('overdue')], ['stations', s ? s.stations.length : 0]]
      .map(([k, v]) => `<span class="chip chip-${k}${v && k === 'overdue' ? ' hot' : ''}"><strong>${v}</strong> ${esc(t('fleet.sum.' + k))}</span>`).join('');
    // By unit, then by the station each camera was last seen at.
    const groups = new Map();
    for (const c of cams) {
      const station = (c.out ? c.undocked_station : c.docked_station) || '';
      const key = c.unit || '';
      if (!groups.has(key)) groups.set(key, new Map());
      const g = groups.get(key);
      if (!g.has(station)) g.set(station, []);
      g.get(station).push(c);
    }
    const units = Array.from(groups.keys()).sort();
    $('#fleet-units').innerHTML = units.map(u => {
      const stations = Array.from(groups.get(u).keys()).sort();
      return `<section class="unit" data-unit="${esc(u)}"><h2>${esc(u ? t('fleet.unit', { unit: u }) : t('fleet.noUnit'))}</h2>` +
        stations.map(st => `<h3 data-station="${esc(st)}">${esc(st)}</h3><div class="table-wrap"><table class="data"><thead><tr>` +
          ['col.camera', 'col.state', 'col.battery', 'col.clock', 'col.attention', 'col.docked', 'col.undocked'].map(h => `<th>${esc(t(h))}</th>`).join('') +
          `</tr></thead><tbody>${groups.get(u).get(st).map(cameraRow).join('')}</tbody></table></div>`).join('') + '</section>';
    }).join('');
  }

  function renderOverdue() {
    const f = data['/api/v1/bureau/fleet'];
    if (!f) return;
    const late = f.cameras.filter(c => c.overdue);
    $('#overdue-lead').textContent = t('overdue.lead', { limit: f.overdue_after });
    $('#overdue-empty').hidden = late.length > 0;
    table('#overdue-table', ['col.camera', 'col.state', 'col.unit', 'col.undocked', 'col.docked'], late.map(c =>
      `<tr data-camera="${esc(c.camera)}"><td>${esc(c.camera)}</td><td>${badge('overdue')}</td><td>${esc(c.unit || t('none'))}</td>
       <td>${esc(at(c.undocked_station, c.undocked_at))}</td><td>${esc(at(c.docked_station, c.docked_at))}</td></tr>`));
  }

  function renderStations() {
    const s = data['/api/v1/bureau/stations'];
    if (!s) return;
    $('#stations-lead').textContent = t('stations.lead', { limit: s.silent_after });
    table('#stations-table', ['col.station', 'col.unit', 'col.state', 'col.head', 'col.last', 'col.backlog', 'col.alarms'], s.stations.map(r => {
      const st = r.standing;
      const state = st.broken ? 'broken' : (r.silent ? 'silent' : 'live');
      return `<tr data-station="${esc(st.station)}"><td>${esc(st.station)}</td><td>${esc(st.unit)}</td>
        <td><span class="badge ${state === 'live' ? 'ok' : 'bad'}" data-standing="${state}">${esc(t('state.' + state))}</span></td>
        <td>${esc(st.head == null ? t('none') : st.head)}</td><td>${esc(fmtTime(st.last_event_at))}</td>
        <td class="backlog">${esc(st.backlog)}</td><td>${esc(st.alarms)}</td></tr>`;
    }));
  }

  function renderAlarms() {
    const a = data['/api/v1/bureau/alarms'];
    if (!a) return;
    $('#alarms-empty').hidden = a.length > 0;
    const label = code => lang === 'en' ? code : (I18N[lang]['alarm.' + code] || code);
    table('#alarms-table', ['col.raised', 'col.station', 'col.alarm', 'col.seq', 'col.says', 'col.repair'], a.slice().reverse().map(r =>
      `<tr data-code="${esc(r.code)}" data-station="${esc(r.station)}"><td>${esc(fmtTime(r.raised_at))}</td><td>${esc(r.station)}</td>
       <td><span class="badge bad">${esc(label(r.code))}</span></td><td>${esc(r.seq == null ? t('none') : r.seq)}</td>
       <td>${esc(r.says)}</td><td><small>${esc(r.repair)}</small></td></tr>`));
  }

  function renderClips() {
    const c = data.clips;
    const status = $('#clips-status');
    if (!c) { status.hidden = true; table('#clips-table', [], []); return; }
    status.hidden = false;
    status.textContent = c.clips.length ? t('clips.found', { n: c.clips.length }) + (c.clips.length >= c.at_most ? ' (' + t('clips.capped', { n: c.at_most }) + ')' : '') : t('clips.none');
    table('#clips-table', ['col.recorded', 'col.camera', 'col.officer', 'col.station', 'col.unit', 'col.cases', 'col.clip', 'col.source'], c.clips.map(r =>
      `<tr data-clip="${esc(r.clip)}"><td>${esc(fmtTime(r.recorded_at || r.stored_at))}</td><td>${esc(r.camera || t('none'))}</td><td>${esc(r.officer || t('none'))}</td>
       <td>${esc(r.station)}</td><td>${esc(r.unit)}</td><td>${esc(r.cases.join(', ') || t('none'))}</td>
       <td><code title="${esc(r.clip)}">${esc((r.clip || '').slice(0, 16))}…</code></td><td>${esc(r.source || '')}</td></tr>`));
  }

  function render() {
    if (!me) return;
    renderFleet(); renderOverdue(); renderStations(); renderAlarms(); renderClips();
  }

  async function searchClips(ev) {
    if (ev) ev.preventDefault();
    const form = $('#clip-search');
    const q = new URLSearchParams();
    for (const k of ['camera', 'officer', 'case']) if (form[k].value.trim()) q.set(k, form[k].value.trim());
    // A day of the page is the viewer's local day, as its times are shown; "to" takes the whole day.
    if (form.from.value) q.set('from', new Date(form.from.value + 'T00:00').toISOString());
    if (form.to.value) {
      const d = new Date(form.to.value + 'T00:00');
      d.setDate(d.getDate() + 1);
      q.set('to', d.toISOString());
    }
    const got = await api('/api/v1/bureau/clips?' + q.toString());
    if (got.status === 401) { signedOut(); return; }
    if (got.status !== 200) { banner(got.status === 403 ? t('refused') : ((got.body && got.body.error) || String(got.status))); return; }
    banner('');
    data.clips = got.body;
    renderClips();
  }

  function signedOut() {
    me = null;
    data = {};
    $('#signin').hidden = false;
    $('#whoami').hidden = true;
    banner(t('signin.needed'));
    show();
  }

  function signedIn(who) {
    me = who;
    $('#signin').hidden = true;
    $('#whoami').hidden = false;
    $('#whoami-name').textContent = who.account + ' (' + who.roles.join(', ') + ')';
    banner(who.must_change_password ? t('signin.change') : '');
    show();
  }

  async function start() {
    $$('.lang-switch [data-lang]').forEach(b => b.addEventListener('click', () => {
      lang = b.dataset.lang;
      localStorage.setItem(LANG_KEY, lang);
      applyLang();
    }));
    window.addEventListener('hashchange', show);
    $('#clip-search').addEventListener('submit', searchClips);
    $('#clip-search').addEventListener('reset', () => { data.clips = null; setTimeout(renderClips, 0); });
    $('#signin').addEventListener('submit', async ev => {
      ev.preventDefault();
      const f = ev.target;
      const got = await api('/api/v1/session', { method: 'POST', body: JSON.stringify({ account: f.account.value, password: f.password.value }) });
      f.password.value = '';
      if (got.status === 200) signedIn(got.body); else banner(got.status === 401 ? t('signin.wrong') : ((got.body && got.body.error) || String(got.status)));
    });
    $('#signout').addEventListener('click', async () => {
      await api('/api/v1/session', { method: 'DELETE', headers: { 'X-CSRF-Token': me ? me.csrf : '' } });
      signedOut();
    });
    applyLang();
    const who = await api('/api/v1/session');
    if (who.status === 200 && who.body && who.body.account) signedIn(who.body); else signedOut();
  }

  document.addEventListener('DOMContentLoaded', start);
})();
