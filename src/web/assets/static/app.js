/* camdock station dashboard — plain JS, no build step, no framework.
 * Data: GET /api/v1/{slots,fleet,clips,clips/<sha>/custody,audit}, live via SSE /api/v1/stream.
 * All visible strings go through I18N / t(). */
'use strict';
(function () {
  // ---------------------------------------------------------------- strings
  const I18N = {
    en: {
      'app.subtitle': 'Body-camera dock station',
      'nav.label': 'Pages',
      'lang.label': 'Language',
      'tab.dock': 'Dock', 'tab.fleet': 'Fleet', 'tab.clips': 'Clips', 'tab.audit': 'Audit', 'tab.access': 'Access', 'tab.review': 'Review',
      'conn.connecting': 'Connecting…', 'conn.live': 'Live', 'conn.stale': 'No updates',
      'conn.lostBanner': 'Connection to the station lost — what you see may be out of date. Reconnecting…',
      'loading': 'Loading…',
      'error.load': 'Could not load data: {msg}',
      'none': '—', 'yes': 'Yes', 'no': 'No',

      'dock.heading': 'Docked cameras',
      'dock.lead': 'Leave your camera in the dock until its tile says it is safe to undock.',
      'dock.empty': 'No cameras docked. Put your camera into a free slot.',
      'dock.slot': 'Slot {v}',
      'dock.unknownCamera': 'Unknown device',
      'dock.copying': 'Copying {done} / {total} clips',
      'dock.clips': '{done} / {total} clips',
      'dock.rate': 'Speed', 'dock.eta': 'Time left', 'dock.since': 'Docked',
      'dock.rateVal': '{v} MB/s',
      'dock.safe': 'Safe to undock',
      'dock.safeSub': 'All recordings are copied and secured.',
      'hint.mounted': 'Camera detected — copying starts shortly. Do not remove it.',
      'hint.ingesting': 'Copying — do not remove the camera.',
      'hint.housekeeping': 'Finishing up — do not remove the camera.',
      'hint.done': 'Copied. Waiting for final confirmation — do not remove yet.',
      'hint.failed': 'Copy failed. Leave the camera in the dock and tell the equipment manager.',
      'hint.interrupted': 'Copy was interrupted. Put the camera back in the dock to finish.',
      'hint.ignored': 'Not a recognised camera — ignored.',

      'state.mounted': 'Waiting', 'state.ingesting': 'Copying', 'state.housekeeping': 'Finishing',
      'state.done': 'Done', 'state.failed': 'Failed', 'state.interrupted': 'Interrupted', 'state.ignored': 'Ignored',
      'fstate.docked': 'Docked', 'fstate.out': 'Out', 'fstate.overdue': 'Overdue', 'fstate.elsewhere': 'Returned elsewhere',
      'fleet.returnedAt': 'at {station}, {t}',

      'fleet.heading': 'Camera fleet',
      'fleet.empty': 'No cameras known yet.',
      'fleet.sum.docked': 'Docked', 'fleet.sum.out': 'Out', 'fleet.sum.overdue': 'Overdue (> 24 h)', 'fleet.sum.attention': 'Need attention',
      'fleet.col.camera': 'Camera', 'fleet.col.state': 'State', 'fleet.col.officer': 'Officer',
      'fleet.col.last_docked_at': 'Last docked', 'fleet.col.last_undocked_at': 'Last undocked',
      'fleet.col.battery': 'Battery', 'fleet.col.storage': 'Free space', 'fleet.col.clock': 'Clock offset',
      'fleet.col.firmware': 'Firmware', 'fleet.col.attention': 'Attention',
      'fleet.firstSeen': 'First seen {t}',
      'fleet.ack': 'Acknowledge', 'fleet.acked': 'Seen to by {by}, {at}: {note}', 'fleet.assign': 'Assign…',
      'fleet.outFor': 'out for {d}',
      'fleet.freeOf': '{free} / {total}',
      'fleet.sortBy': 'Sort by {col}',

      // Attention items: English shows the server's own sentence (item.text); other languages
      // put the item's params into these templates, by code.

      'clips.heading': 'Recordings', 'clips.more': 'Show more',
      'clips.camera': 'Camera', 'clips.officer': 'Officer', 'clips.case': 'Case',
      'clips.from': 'From', 'clips.to': 'To', 'clips.search': 'Search', 'clips.reset': 'Clear',
      'clips.none': 'No recordings match.',
      'clips.count': '{n} recordings',
      'clips.col.recorded': 'Recorded', 'clips.col.camera': 'Camera', 'clips.col.officer': 'Officer',
      'clips.col.duration': 'Length', 'clips.col.size': 'Size',
      'clips.col.integrity': 'Integrity', 'clips.col.case': 'Case', 'clips.request': 'Request to view', 'clips.requestCase': 'Request to view every clip of case {c}',
      'clips.important': 'Important', 'clips.late': 'Late',
      'clips.pick': 'Select a recording to see its custody timeline.',
      'integ.ok': 'OK', 'integ.damaged': 'Damaged', 'integ.not-media': 'Not media',
      'integ.bannerDamaged': 'This file is damaged — the stored copy is exactly what the camera held, but it does not play cleanly.',
      'integ.bannerNotMedia': 'This file is not a video/audio recording.',

      'clip.title': 'Recording',
      'clip.sha256': 'SHA-256', 'clip.blake3': 'BLAKE3', 'clip.bytes': 'Size',
      'clip.camera': 'Camera', 'clip.officer': 'Officer', 'clip.source': 'Source file', 'clip.sequence': 'Sequence',
      'clip.case': 'Case', 'clip.important': 'Important', 'clip.late': 'Late',
      'clip.recorded_at': 'Recorded (camera clock)', 'clip.recorded_at_corrected': 'Recorded (corrected)',
      'clip.ingested_at': 'Ingested', 'clip.store_path': 'Store path', 'clip.recordings': 'Recordings',
      'clip.media': 'Media', 'clip.integrity': 'Integrity', 'clip.duration': 'Length',
      'clip.video': 'Video codec', 'clip.audio': 'Audio codec', 'clip.resolution': 'Resolution',
      'clip.problems': 'Problems',
      'clip.custody': 'Custody timeline',
      'clip.noEvents': 'No custody events recorded.',
      'clip.close': 'Close',
      'ev.actor': 'by {a}', 'ev.hash': 'Event hash',

      'audit.heading': 'Audit', 'audit.refresh': 'Refresh',
      'audit.verify': 'Last verification', 'audit.checkpoint': 'Last checkpoint', 'audit.ledger': 'Custody ledger',
      'audit.never': 'Never run.',
      'audit.ok': 'All good', 'audit.failed': 'Problems found',
      'audit.at': 'When', 'audit.clipsChecked': 'Clips checked', 'audit.bytesChecked': 'Data checked',
      'audit.chain': 'Hash chain', 'audit.chainOk': 'Intact', 'audit.chainBroken': 'BROKEN',
      'audit.problems': 'Problems', 'audit.noProblems': 'No problems.',
      'audit.seq': 'Ledger sequence', 'audit.head': 'Head hash', 'audit.events': 'Events',
      'audit.replica': 'Off-station copy', 'audit.replicaFailing': 'Falling behind', 'audit.replicaBacklog': 'Clips waiting',
      'audit.replicaLast': 'Last copy confirmed', 'audit.replicaPaused': 'Endpoint failing; retried after', 'audit.replicaErrors': 'Failing clips', 'audit.replicaUnreachable': 'Passes that could not reach the bucket',

      'ago': '{d} ago', 'in': 'in {d}', 'justNow': 'just now',
      'dur.d': '{n} d', 'dur.h': '{n} h', 'dur.min': '{n} min', 'dur.s': '{n} s', 'dur.sep': ' ',
      'sec': '{v} s',
    },
    zh: {
      'app.subtitle': '执法记录仪底座工作站',
      'nav.label': '页面',
      'lang.label': '语言',
      'tab.dock': '底座', 'tab.fleet': '装备', 'tab.clips': '录像', 'tab.audit': '审计', 'tab.access': '调阅', 'tab.review': '检查',
      'conn.connecting': '正在连接…', 'conn.live': '实时', 'conn.stale': '无更新',
      'conn.lostBanner': '与工作站的连接已断开，显示的信息可能已过时。正在重新连接…',
      'loading': '加载中…',
      'error.load': '无法加载数据：{msg}',
      'none': '—', 'yes': '是', 'no': '否',

      'dock.heading': '底座上的记录仪',
      'dock.lead': '请将记录仪留在底座上，直到其卡片显示“可以取走”。',
      'dock.empty': '底座上没有记录仪。请将记录仪放入空闲插槽。',
      'dock.slot': '插槽 {v}',
      'dock.unknownCamera': '未知设备',
      'dock.copying': '正在复制 {done} / {total} 个片段',
      'dock.clips': '{done} / {total} 个片段',
      'dock.rate': '速度', 'dock.eta': '剩余时间', 'dock.since': '插入',
      'dock.rateVal': '{v} MB/s',
      'dock.safe': '可以取走',
      'dock.safeSub': '所有录像均已复制并安全保存。',
      'hint.mounted': '已识别记录仪，即将开始复制。请勿取出。',
      'hint.ingesting': '正在复制，请勿取出记录仪。',
      'hint.housekeeping': '正在收尾，请勿取出记录仪。',
      'hint.done': '已复制，正在等待最终确认，请暂勿取出。',
      'hint.failed': '复制失败。请将记录仪留在底座上并通知装备管理员。',
      'hint.interrupted': '复制被中断。请将记录仪重新放回底座以完成复制。',
      'hint.ignored': '无法识别的设备，已忽略。',

      'state.mounted': '等待中', 'state.ingesting': '复制中', 'state.housekeeping': '收尾中',
      'state.done': '已完成', 'state.failed': '失败', 'state.interrupted': '已中断', 'state.ignored': '已忽略',
      'fstate.docked': '在底座', 'fstate.out': '外出', 'fstate.overdue': '逾期未归', 'fstate.elsewhere': '已在其他站归还',
      'fleet.returnedAt': '{station}，{t}',

      'fleet.heading': '记录仪装备',
      'fleet.empty': '尚无已知的记录仪。',
      'fleet.sum.docked': '在底座', 'fleet.sum.out': '外出', 'fleet.sum.overdue': '逾期（超过 24 小时）', 'fleet.sum.attention': '需关注',
      'fleet.col.camera': '记录仪', 'fleet.col.state': '状态', 'fleet.col.officer': '警员',
      'fleet.col.last_docked_at': '上次插入', 'fleet.col.last_undocked_at': '上次取出',
      'fleet.col.battery': '电量', 'fleet.col.storage': '剩余空间', 'fleet.col.clock': '时钟偏差',
      'fleet.col.firmware': '固件', 'fleet.col.attention': '需关注',
      'fleet.firstSeen': '首次出现：{t}',
      'fleet.ack': '确认处理', 'fleet.acked': '{by} 已处理（{at}）：{note}', 'fleet.assign': '分配…',
      'fleet.outFor': '已外出 {d}',
      'fleet.freeOf': '{free} / {total}',
      'fleet.sortBy': '按{col}排序',


      'clips.heading': '录像', 'clips.more': '显示更多',
      'clips.camera': '记录仪', 'clips.officer': '警员', 'clips.case': '案件',
      'clips.from': '开始日期', 'clips.to': '结束日期', 'clips.search': '搜索', 'clips.reset': '清除',
      'clips.none': '没有符合条件的录像。',
      'clips.count': '共 {n} 条录像',
      'clips.col.recorded': '录制时间', 'clips.col.camera': '记录仪', 'clips.col.officer': '警员',
      'clips.col.duration': '时长', 'clips.col.size': '大小',
      'clips.col.integrity': '完整性', 'clips.col.case': '案件', 'clips.request': '申请调阅', 'clips.requestCase': '申请调阅案件 {c} 的全部录像',
      'clips.important': '重要', 'clips.late': '延迟',
      'clips.pick': '选择一条录像以查看其保管链。',
      'integ.ok': '完好', 'integ.damaged': '已损坏', 'integ.not-media': '非媒体文件',
      'integ.bannerDamaged': '此文件已损坏：保存的副本与记录仪中的文件完全一致，但无法正常播放。',
      'integ.bannerNotMedia': '此文件不是音视频录像。',

      'clip.title': '录像',
      'clip.sha256': 'SHA-256', 'clip.blake3': 'BLAKE3', 'clip.bytes': '大小',
      'clip.camera': '记录仪', 'clip.officer': '警员', 'clip.source': '源文件', 'clip.sequence': '序号',
      'clip.case': '案件', 'clip.important': '重要', 'clip.late': '延迟',
      'clip.recorded_at': '录制时间（记录仪时钟）', 'clip.recorded_at_corrected': '录制时间（已校正）',
      'clip.ingested_at': '入库时间', 'clip.store_path': '存储路径', 'clip.recordings': '录像记录',
      'clip.media': '媒体信息', 'clip.integrity': '完整性', 'clip.duration': '时长',
      'clip.video': '视频编码', 'clip.audio': '音频编码', 'clip.resolution': '分辨率',
      'clip.problems': '问题',
      'clip.custody': '保管链',
      'clip.noEvents': '没有保管记录。',
      'clip.close': '关闭',
      'ev.actor': '操作者：{a}', 'ev.hash': '事件哈希',

      'audit.heading': '审计', 'audit.refresh': '刷新',
      'audit.verify': '最近一次校验', 'audit.checkpoint': '最近一次检查点', 'audit.ledger': '保管台账',
      'audit.never': '尚未运行。',
      'audit.ok': '一切正常', 'audit.failed': '发现问题',
      'audit.at': '时间', 'audit.clipsChecked': '已检查片段', 'audit.bytesChecked': '已检查数据量',
      'audit.chain': '哈希链', 'audit.chainOk': '完整', 'audit.chainBroken': '已断裂',
      'audit.problems': '问题', 'audit.noProblems': '没有问题。',
      'audit.seq': '台账序号', 'audit.head': '链头哈希', 'audit.events': '事件数',
      'audit.replica': '异地副本', 'audit.replicaFailing': '复制落后', 'audit.replicaBacklog': '待复制片段',
      'audit.replicaLast': '最近确认复制', 'audit.replicaPaused': '端点故障，重试时间', 'audit.replicaErrors': '复制失败的片段', 'audit.replicaUnreachable': '连续无法连接存储桶的次数',

      'ago': '{d}前', 'in': '{d}后', 'justNow': '刚刚',
      'dur.d': '{n}天', 'dur.h': '{n}小时', 'dur.min': '{n}分钟', 'dur.s': '{n}秒', 'dur.sep': '',
      'sec': '{v} 秒',
    },
  };
  // Why a camera needs attention, from the list the hub's page reads too (attention.js).
  Object.assign(I18N.zh, (window.camdockAttention || {}).zh || {});

  const LANG_KEY = 'camdock.lang';
  const ROUTES = ['dock', 'fleet', 'clips', 'audit', 'access', 'review'];
  const SLOT_STATES = ['mounted', 'ingesting', 'housekeeping', 'done', 'failed', 'interrupted', 'ignored'];
  const FLEET_SEVERITY = { overdue: 2, out: 1, elsewhere: 0, docked: 0 };
  const STALE_MS = 6000; // server promises a slots event at least every 2 s

  function detectLang() {
    try {
      const saved = localStorage.getItem(LANG_KEY);
      if (saved === 'en' || saved === 'zh') return saved;
    } catch (_) { /* storage may be disabled */ }
    const prefs = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || 'en'];
    return /^zh/i.test(String(prefs[0] || '')) ? 'zh' : 'en';
  }

  let lang = detectLang();

  function t(key, params) {
    let s = I18N[lang][key];
    if (s == null) s = I18N.en[key];
    if (s == null) return key;
    if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (Object.prototype.hasOwnProperty.call(params, k) ? String(params[k]) : m));
    return s;
  }
  function tOr(key, fallback) {
    return (I18N[lang][key] != null || I18N.en[key] != null) ? t(key) : fallback;
  }

  // ---------------------------------------------------------------- helpers
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function esc(v) {
    return String(v == null ? '' : v).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }
  function num(v) { const n = Number(v); return Number.isFinite(n) ? n : 0; }
  function isNum(v) { return v != null && v !== '' && Number.isFinite(Number(v)); }
  function locale() { return lang === 'zh' ? 'zh-CN' : 'en-US'; }
  function fmtInt(n) { return isNum(n) ? Number(n).toLocaleString(locale()) : t('none'); }

  function fmtBytes(n) {
    if (!isNum(n)) return t('none');
    const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
    let v = Number(n), i = 0;
    while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return (i === 0 ? String(Math.round(v)) : v.toFixed(Math.abs(v) >= 100 ? 0 : 1).replace(/\.0$/, '')) + ' ' + units[i];
  }

  function fmtDuration(sec) {
    if (!isNum(sec)) return t('none');
    sec = Math.max(0, Math.round(Number(sec)));
    const d = Math.floor(sec / 86400), h = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    let parts;
    if (d) parts = [['dur.d', d], ['dur.h', h]];
    else if (h) parts = [['dur.h', h], ['dur.min', m]];
    else if (m) parts = [['dur.min', m], ['dur.s', s]];
    else parts = [['dur.s', s]];
    if (parts.length > 1 && parts[1][1] === 0) parts = [parts[0]];
    return parts.map(([k, n]) => t(k, { n })).join(t('dur.sep'));
  }

  function parseTime(v) {
    if (v == null || v === '') return NaN;
    if (typeof v === 'number') return v < 1e12 ? v * 1000 : v; // epoch seconds or ms
    return Date.parse(v);
  }
  const pad = n => String(n).padStart(2, '0');
  function fmtTime(v) {
    const ms = parseTime(v);
    if (!Number.isFinite(ms)) return v == null || v === '' ? t('none') : String(v);
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function fmtTimeShort(v) {
    const ms = parseTime(v);
    if (!Number.isFinite(ms)) return v == null || v === '' ? t('none') : String(v);
    const d = new Date(ms);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return d.getFullYear() === new Date().getFullYear()
      ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`
      : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
  }
  // Coarse duration for "… ago": minutes only under an hour, seconds only under a minute.
  function fmtCoarse(sec) {
    sec = Math.abs(sec);
    if (sec < 60) return t('dur.s', { n: Math.round(sec) });
    if (sec < 3600) return t('dur.min', { n: Math.floor(sec / 60) });
    return fmtDuration(Math.floor(sec / 60) * 60);
  }
  function fmtAgo(v) {
    const ms = parseTime(v);
    if (!Number.isFinite(ms)) return t('none');
    const diff = (Date.now() - ms) / 1000;
    if (Math.abs(diff) < 5) return t('justNow');
    return diff >= 0 ? t('ago', { d: fmtCoarse(diff) }) : t('in', { d: fmtCoarse(diff) });
  }
  function shortHash(h, n) { h = String(h || ''); n = n || 12; return h.length > n + 1 ? h.slice(0, n) + '…' : h; }

  async function getJSON(url) {
    const res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`.trim());
    return res.json();
  }

  // Bars: widths are set through CSSOM (not style="" in markup) so a strict CSP works.
  function applyBarWidths(root) {
    $$('[data-pct]', root).forEach(el => { el.style.width = Math.max(0, Math.min(100, num(el.dataset.pct))) + '%'; });
  }

  // ---------------------------------------------------------------- state
  const S = {
    slots: null, slotsAt: 0,
    fleet: null, fleetSort: { key: 'state', dir: -1 },
    clips: null, clipsCase: null, clipsLoading: false, clipsError: null, clipsLoaded: false, clipsNext: null,
    selected: null, custody: {}, custodyError: {},
    audit: null, auditError: null, auditLoading: false,
    conn: 'connecting',
  };

  // ---------------------------------------------------------------- chrome / language
  function applyStaticText() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    $$('[data-i18n]').forEach(el => { el.textContent = t(el.dataset.i18n); });
    $$('[data-i18n-aria-label]').forEach(el => { el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel)); });
    $$('.lang-switch [data-lang]').forEach(b => {
      const on = b.dataset.lang === lang;
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.classList.toggle('active', on);
    });
    document.title = t('tab.' + currentRoute()) + ' · camdock';
    renderConn();
  }

  function setLang(l) {
    if (l !== 'en' && l !== 'zh') return;
    lang = l;
    try { localStorage.setItem(LANG_KEY, l); } catch (_) { /* ignore */ }
    renderAll();
  }

  function renderAll() {
    applyStaticText();
    renderDock(true);
    renderFleet();
    renderClips();
    renderClipDetail();
    renderAudit();
  }

  function renderConn() {
    const el = $('#conn');
    el.dataset.conn = S.conn;
    $('.conn-label', el).textContent = t('conn.' + S.conn);
    const banner = $('#banner');
    const bad = S.conn !== 'live' && S.slotsAt > 0;
    banner.hidden = !bad;
    if (bad) banner.textContent = t('conn.lostBanner');
    document.body.classList.toggle('is-stale', bad);
  }
  function setConn(c) { if (S.conn !== c) { S.conn = c; renderConn(); } }

  // ---------------------------------------------------------------- routing
  function currentRoute() {
    const h = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
    return ROUTES.includes(h) ? h : 'dock';
  }
  function showRoute() {
    const r = currentRoute();
    $$('.view').forEach(v => { v.hidden = v.dataset.view !== r; });
    $$('.tabs a').forEach(a => {
      if (a.dataset.route === r) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
    document.title = t('tab.' + r) + ' · camdock';
    if (r === 'fleet') renderFleet();
    if (r === 'clips' && !S.clipsLoaded && !S.clipsLoading) searchClips();
    if (r === 'audit') loadAudit();
  }

  // ---------------------------------------------------------------- dock
  const TILE_HTML = `
    <div class="tile-head">
      <div class="tile-id"><h2 class="camera"></h2><span class="volume"></span></div>
      <span class="state badge"></span>
    </div>
    <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100">
      <div class="bar"><div class="fill"></div></div>
      <span class="pct"></span>
    </div>
    <div class="progress-text"><span class="clips-text"></span><span class="bytes-text"></span></div>
    <dl class="facts">
      <div><dt class="l-rate"></dt><dd class="rate"></dd></div>
      <div><dt class="l-eta"></dt><dd class="eta"></dd></div>
      <div><dt class="l-since"></dt><dd class="since"></dd></div>
    </dl>
    <div class="safe" role="status" hidden><span class="safe-icon" aria-hidden="true">✓</span><span class="safe-words"><strong class="safe-text"></strong><span class="safe-sub"></span></span></div>
    <p class="hint"></p>`;

  function slotKey(s) { return String(s.volume); }

  function renderDock() {
    const box = $('#slots');
    const empty = $('#slots-empty');
    if (!Array.isArray(S.slots)) {
      empty.hidden = false; empty.textContent = t('loading');
      return;
    }
    const slots = S.slots.slice().sort((a, b) => slotKey(a).localeCompare(slotKey(b), undefined, { numeric: true }));
    empty.hidden = slots.length > 0;
    if (!slots.length) empty.textContent = t('dock.empty');
    const existing = new Map($$(':scope > .tile', box).map(el => [el.dataset.slot, el]));
    slots.forEach((s, i) => {
      const key = slotKey(s);
      let tile = existing.get(key);
      if (!tile) {
        tile = document.createElement('article');
        tile.className = 'tile';
        tile.dataset.slot = key;
        tile.innerHTML = TILE_HTML;
      }
      existing.delete(key);
      if (box.children[i] !== tile) box.insertBefore(tile, box.children[i] || null);
      updateTile(tile, s);
    });
    existing.forEach(el => el.remove());
  }

  function updateTile(tile, s) {
    const q = sel => $(sel, tile);
    const state = String(s.state || '');
    const safe = s.safe_to_undock === true;
    tile.dataset.state = state;
    tile.dataset.safe = safe ? 'true' : 'false';
    tile.classList.toggle('is-safe', safe);

    q('.camera').textContent = s.camera || t('dock.unknownCamera');
    q('.volume').textContent = t('dock.slot', { v: s.volume });
    const st = q('.state');
    st.dataset.state = state;
    st.textContent = SLOT_STATES.includes(state) ? t('state.' + state) : state;

    const cd = num(s.clips_done), ct = num(s.clips_total), bd = num(s.bytes_done), bt = num(s.bytes_total);
    let frac = bt > 0 ? bd / bt : ct > 0 ? cd / ct : (state === 'done' ? 1 : 0);
    frac = Math.max(0, Math.min(1, frac));
    const p = q('.progress');
    p.dataset.clipsDone = String(cd);
    p.dataset.clipsTotal = String(ct);
    p.dataset.bytesDone = String(bd);
    p.dataset.bytesTotal = String(bt);
    p.setAttribute('aria-valuenow', String(Math.floor(frac * 100)));
    p.setAttribute('aria-valuetext', t('dock.clips', { done: cd, total: ct }));
    q('.fill').style.width = (frac * 100).toFixed(2) + '%';
    q('.pct').textContent = Math.floor(frac * 100) + '%';
    q('.clips-text').textContent = t(state === 'ingesting' ? 'dock.copying' : 'dock.clips', { done: cd, total: ct });
    q('.bytes-text').textContent = `${fmtBytes(bd)} / ${fmtBytes(bt)}`;

    q('.l-rate').textContent = t('dock.rate');
    q('.l-eta').textContent = t('dock.eta');
    q('.l-since').textContent = t('dock.since');
    q('.rate').textContent = isNum(s.rate_mb_per_s) ? t('dock.rateVal', { v: Number(s.rate_mb_per_s).toFixed(1) }) : t('none');
    q('.eta').textContent = isNum(s.eta_s) && !safe ? fmtDuration(s.eta_s) : t('none');
    q('.since').textContent = fmtAgo(s.since);
    q('.since').title = fmtTime(s.since);

    const safeEl = q('.safe');
    safeEl.hidden = !safe;
    q('.safe-text').textContent = t('dock.safe');
    q('.safe-sub').textContent = t('dock.safeSub');
    const hint = q('.hint');
    const hintText = safe ? '' : tOr('hint.' + state, '');
    hint.textContent = hintText;
    hint.hidden = !hintText;
  }

  // ---------------------------------------------------------------- fleet
  // An attention item is { code, params, text } (a bare string from an old ledger reads as text).
  function attnCode(a) { return a && typeof a === 'object' ? a.code : 'note'; }
  function attnText(a) {
    if (!a || typeof a !== 'object') return String(a);
    const key = 'attn.' + a.code;
    return lang !== 'en' && I18N[lang][key] != null ? t(key, a.params || {}) : a.text;
  }
  function hasAttn(c, code) { return Array.isArray(c.attention) && c.attention.some(a => attnCode(a) === code); }
  // Items nobody has seen to since the camera last docked: what the manager still has to do.
  function openAttn(c) { return Array.isArray(c.attention) ? c.attention.filter(a => !(a && a.acknowledged)) : []; }
  // One item; an account allowed to see to it gets a button (access.js handles it; the server decides).
  function attnItem(c, a) {
    const ack = a && a.acknowledged;
    const done = ack ? `<small class="acked">✓ ${esc(t('fleet.acked', { by: ack.by, at: fmtTimeShort(ack.at), note: ack.note }))}</small>` : '';
    const button = ack ? '' : `<button type="button" class="attn-ack may-acknowledge" data-camera="${esc(c.camera)}" data-code="${esc(attnCode(a))}" data-text="${esc(attnText(a))}">${esc(t('fleet.ack'))}</button>`;
    return `<li class="${ack ? 'acknowledged' : ''}" data-code="${esc(attnCode(a))}">${esc(attnText(a))} ${button}${done}</li>`;
  }
  function freeFrac(c) {
    const tot = num(c.storage_total_bytes);
    return tot > 0 && isNum(c.storage_free_bytes) ? num(c.storage_free_bytes) / tot : NaN;
  }
  const FLEET_COLS = [
    { key: 'camera', val: c => String(c.camera || '') },
    { key: 'state', val: c => (c.state in FLEET_SEVERITY ? FLEET_SEVERITY[c.state] : -1) },
    { key: 'officer', val: c => String(c.officer || '') },
    { key: 'last_docked_at', val: c => parseTime(c.last_docked_at) },
    { key: 'last_undocked_at', val: c => parseTime(c.last_undocked_at) },
    { key: 'battery', val: c => (isNum(c.battery_percent) ? Number(c.battery_percent) : NaN), num: true },
    { key: 'storage', val: freeFrac, num: true },
    { key: 'clock', val: c => (isNum(c.clock_offset_ms) ? Math.abs(Number(c.clock_offset_ms)) : NaN), num: true },
    { key: 'firmware', val: c => String(c.firmware || '') },
    { key: 'attention', val: c => openAttn(c).length, num: true },
  ];

  function compareVals(a, b) {
    const an = typeof a === 'number' && !Number.isFinite(a), bn = typeof b === 'number' && !Number.isFinite(b);
    if (an || bn) return an && bn ? 0 : an ? 1 : -1; // unknowns always last
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).localeCompare(String(b), locale(), { numeric: true, sensitivity: 'base' });
  }

  function sortedFleet() {
    const col = FLEET_COLS.find(c => c.key === S.fleetSort.key) || FLEET_COLS[0];
    const dir = S.fleetSort.dir;
    return S.fleet.slice().sort((x, y) => {
      const vx = col.val(x), vy = col.val(y);
      const unk = (typeof vx === 'number' && !Number.isFinite(vx)) || (typeof vy === 'number' && !Number.isFinite(vy));
      let r = unk ? compareVals(vx, vy) : dir * compareVals(vx, vy);
      if (r === 0) r = compareVals(String(x.camera || ''), String(y.camera || ''));
      return r;
    });
  }

  function meter(pct, cls) {
    const p = isNum(pct) ? Math.max(0, Math.min(100, Number(pct))) : null;
    if (p === null) return `<span class="muted">${esc(t('none'))}</span>`;
    return `<div class="meter ${cls}"><div class="meter-fill" data-pct="${p.toFixed(1)}"></div></div>`;
  }

  function renderFleetHead() {
    const head = $('#fleet-table thead');
    head.innerHTML = '<tr>' + FLEET_COLS.map(c => {
      const active = S.fleetSort.key === c.key;
      const aria = active ? (S.fleetSort.dir > 0 ? 'ascending' : 'descending') : 'none';
      const ind = active ? (S.fleetSort.dir > 0 ? '▲' : '▼') : '↕';
      const label = t('fleet.col.' + c.key);
      return `<th scope="col" aria-sort="${aria}" class="${c.num ? 'num' : ''} col-${c.key}"><button type="button" data-sort="${c.key}" title="${esc(t('fleet.sortBy', { col: label }))}">${esc(label)}<span class="sort-ind${active ? ' on' : ''}" aria-hidden="true">${ind}</span></button></th>`;
    }).join('') + '</tr>';
  }

  function renderFleet() {
    renderFleetHead();
    const body = $('#fleet-table tbody');
    const empty = $('#fleet-empty');
    const sum = $('#fleet-summary');
    if (!Array.isArray(S.fleet)) {
      empty.hidden = false; empty.textContent = t('loading'); body.innerHTML = ''; sum.innerHTML = '';
      return;
    }
    empty.hidden = S.fleet.length > 0;
    if (!S.fleet.length) empty.textContent = t('fleet.empty');

    const count = st => S.fleet.filter(c => c.state === st).length;
    const attention = S.fleet.filter(c => openAttn(c).length).length;
    sum.innerHTML = [
      ['docked', count('docked')], ['out', count('out')], ['overdue', count('overdue')], ['attention', attention],
    ].map(([k, n]) => `<span class="chip chip-${k}${n && (k === 'overdue' || k === 'attention') ? ' hot' : ''}"><strong>${n}</strong> ${esc(t('fleet.sum.' + k))}</span>`).join('');

    body.innerHTML = sortedFleet().map(c => {
      const st = String(c.state || '');
      const bat = c.battery_percent;
      const batCls = isNum(bat) ? (bat < 20 ? 'bad' : bat < 40 ? 'warn' : 'good') : '';
      const ff = freeFrac(c);
      const freeCls = Number.isFinite(ff) ? (ff < 0.1 ? 'bad' : ff < 0.25 ? 'warn' : 'good') : '';
      const off = c.clock_offset_ms;
      const offS = isNum(off) ? Number(off) / 1000 : null;
      const clockBad = hasAttn(c, 'clock-drift') || (offS !== null && Math.abs(offS) >= 5);
      const attn = Array.isArray(c.attention) ? c.attention : [];
      const away = st === 'out' || st === 'overdue';
      return `<tr data-camera="${esc(c.camera)}" data-state="${esc(st)}" class="${st === 'overdue' ? 'overdue' : ''}${openAttn(c).length ? ' has-attention' : ''}">
        <td class="col-camera" title="${esc(t('fleet.firstSeen', { t: fmtTime(c.first_seen_at) }))}"><strong class="mono">${esc(c.camera)}</strong></td>
        <td class="col-state"><span class="badge fstate" data-state="${esc(st)}">${esc(tOr('fstate.' + st, st))}</span>${c.returned_elsewhere ? `<small class="returned-at">${esc(t('fleet.returnedAt', { station: c.returned_elsewhere.docked_station, t: fmtTime(c.returned_elsewhere.docked_at) }))}</small>` : ''}</td>
        <td class="col-officer">${esc(c.officer || t('none'))} <button type="button" class="row-assign may-assign" data-camera="${esc(c.camera)}">${esc(t('fleet.assign'))}</button></td>
        <td class="col-last_docked_at" title="${esc(fmtTime(c.last_docked_at))}">${esc(fmtTimeShort(c.last_docked_at))}<small>${esc(fmtAgo(c.last_docked_at))}</small></td>
        <td class="col-last_undocked_at" title="${esc(fmtTime(c.last_undocked_at))}">${esc(fmtTimeShort(c.last_undocked_at))}<small class="${away ? 'strong' : ''}">${esc(away ? t('fleet.outFor', { d: fmtCoarse((Date.now() - parseTime(c.last_undocked_at)) / 1000) }) : fmtAgo(c.last_undocked_at))}</small></td>
        <td class="num col-battery"><div class="meter-cell">${meter(bat, batCls)}<span class="meter-val ${batCls}">${isNum(bat) ? Math.round(bat) + '%' : ''}</span></div></td>
        <td class="num col-storage"><div class="meter-cell">${meter(Number.isFinite(ff) ? ff * 100 : null, freeCls)}<span class="meter-val ${freeCls}">${Number.isFinite(ff) ? Math.round(ff * 100) + '%' : ''}</span></div><small>${Number.isFinite(ff) ? esc(t('fleet.freeOf', { free: fmtBytes(c.storage_free_bytes), total: fmtBytes(c.storage_total_bytes) })) : ''}</small></td>
        <td class="num col-clock ${clockBad ? 'bad-text' : ''}">${offS === null ? esc(t('none')) : esc(t('sec', { v: (offS > 0 ? '+' : offS < 0 ? '−' : '±') + Math.abs(offS).toFixed(Math.abs(offS) < 1 ? 2 : 1) }))}</td>
        <td class="col-firmware mono">${esc(c.firmware || t('none'))}</td>
        <td class="col-attention">${attn.length ? '<ul class="attention">' + attn.map(a => attnItem(c, a)).join('') + '</ul>' : ''}</td>
      </tr>`;
    }).join('');
    applyBarWidths(body);
  }

  // ---------------------------------------------------------------- clips
  function localDayStartISO(dateStr, addDays) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateStr || '');
    if (!m) return '';
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (addDays || 0), 0, 0, 0, 0);
    return d.toISOString();
  }

  async function searchClips() {
    const form = $('#clip-search');
    const fd = new FormData(form);
    const params = new URLSearchParams();
    ['camera', 'officer', 'case'].forEach(k => { const v = String(fd.get(k) || '').trim(); if (v) params.set(k, v); });
    // Searched by case: the whole case may be asked for at once (access.js files the request).
    S.clipsCase = params.get('case');
    // Dates are local calendar days; sent as RFC 3339 UTC instants: from = start of day (inclusive),
    // to = start of the following day (exclusive).
    const from = localDayStartISO(String(fd.get('from') || ''), 0);
    const to = localDayStartISO(String(fd.get('to') || ''), 1);
    if (from) params.set('from', from);
    if (to) params.set('to', to);
    const qs = params.toString();
    await loadClips('/api/v1/clips' + (qs ? '?' + qs : ''), false);
  }

  // One page of clips; the server names the next page in its Link header (rel="next").
  async function loadClips(url, append) {
    S.clipsLoading = true; S.clipsError = null;
    renderClips();
    try {
      const res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`.trim());
      const page = await res.json();
      const rows = Array.isArray(page) ? page : [];
      S.clips = append && Array.isArray(S.clips) ? S.clips.concat(rows) : rows;
      const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('Link') || '');
      S.clipsNext = next ? next[1] : null;
    } catch (e) {
      S.clipsError = e.message;
      if (!append) S.clips = null;
    } finally {
      S.clipsLoading = false; S.clipsLoaded = true;
    }
    renderClips();
  }

  function integBadge(integ) {
    const k = String(integ || '');
    return `<span class="badge integ" data-integrity="${esc(k)}">${esc(tOr('integ.' + k, k || t('none')))}</span>`;
  }

  function clipRecorded(c) { return c.recorded_at_corrected || c.recorded_at; }

  function renderClips() {
    const head = $('#clips-table thead');
    const body = $('#clips-table tbody');
    const status = $('#clips-status');
    const cols = ['recorded', 'camera', 'officer', 'duration', 'size', 'integrity', 'case'];
    head.innerHTML = '<tr>' + cols.map(c => `<th scope="col" class="col-${c}${['duration', 'size'].includes(c) ? ' num' : ''}">${esc(t('clips.col.' + c))}</th>`).join('') + '</tr>';
    if (S.clipsLoading) { status.hidden = false; status.textContent = t('loading'); }
    else if (S.clipsError) { status.hidden = false; status.textContent = t('error.load', { msg: S.clipsError }); }
    else if (Array.isArray(S.clips)) { status.hidden = false; status.textContent = S.clips.length ? t('clips.count', { n: fmtInt(S.clips.length) }) : t('clips.none'); }
    else status.hidden = true;
    const rows = Array.isArray(S.clips) ? S.clips : [];
    $('#clips-table').hidden = rows.length === 0;
    $('#clips-more').hidden = !S.clipsNext || S.clipsLoading;
    const whole = $('#clips-request-case');
    $('#clips-case').hidden = !S.clipsCase || rows.length === 0;
    whole.dataset.case = S.clipsCase || '';
    whole.textContent = t('clips.requestCase', { c: S.clipsCase || '' });
    body.innerHTML = rows.map(c => {
      const media = c.media || {};
      const integ = String(media.integrity || '');
      const sel = c.sha256 === S.selected;
      const flags = [c.important ? `<span class="flag important">★ ${esc(t('clips.important'))}</span>` : '', c.late ? `<span class="flag late">${esc(t('clips.late'))}</span>` : ''].join('');
      return `<tr class="clip-row${sel ? ' selected' : ''}${integ && integ !== 'ok' ? ' integ-bad' : ''}" data-sha="${esc(c.sha256)}" tabindex="0" aria-selected="${sel ? 'true' : 'false'}">
        <td title="${esc(fmtTime(clipRecorded(c)))}">${esc(fmtTimeShort(clipRecorded(c)))}</td>
        <td class="mono col-camera">${esc(c.camera || t('none'))}</td>
        <td class="col-officer">${esc(c.officer || t('none'))}</td>
        <td class="num">${esc(isNum(media.duration_s) ? fmtDuration(media.duration_s) : t('none'))}</td>
        <td class="num">${esc(fmtBytes(c.bytes))}</td>
        <td>${integBadge(integ)}</td>
        <td class="col-case"><span class="mono">${esc((c.cases || []).join(", ") || t('none'))}</span>${flags ? `<div class="flags">${flags}</div>` : ''}<button type="button" class="row-request may-request" data-request="${esc(c.sha256)}">${esc(t('clips.request'))}</button></td>
      </tr>`;
    }).join('');
  }

  async function selectClip(sha) {
    if (!sha) return;
    S.selected = sha;
    $$('#clips-table tbody tr').forEach(tr => {
      const on = tr.dataset.sha === sha;
      tr.classList.toggle('selected', on);
      tr.setAttribute('aria-selected', on ? 'true' : 'false');
    });
    renderClipDetail();
    if (!S.custody[sha]) {
      try {
        S.custody[sha] = await getJSON('/api/v1/clips/' + encodeURIComponent(sha) + '/custody');
        delete S.custodyError[sha];
      } catch (e) {
        S.custodyError[sha] = e.message;
      }
      if (S.selected === sha) renderClipDetail();
    }
  }

  function kv(rows, cls) {
    return `<dl class="kv ${cls || ''}">` + rows.map(([k, v, cls]) => `<div><dt>${esc(t(k))}</dt><dd class="${cls || ''}">${v}</dd></div>`).join('') + '</dl>';
  }

  function fmtRecordings(r) {
    if (r == null) return esc(t('none'));
    if (Array.isArray(r)) {
      if (!r.length) return esc(t('none'));
      return '<ul class="plain">' + r.map(x => `<li>${esc(typeof x === 'object' ? Object.entries(x).map(([k, v]) => `${k}: ${v}`).join(', ') : x)}</li>`).join('') + '</ul>';
    }
    if (typeof r === 'object') return esc(JSON.stringify(r));
    return esc(r);
  }

  function renderClipDetail() {
    const box = $('#clip-detail');
    const clip = Array.isArray(S.clips) ? S.clips.find(c => c.sha256 === S.selected) : null;
    if (!clip) {
      box.hidden = !Array.isArray(S.clips) || S.clips.length === 0;
      box.innerHTML = `<p class="muted pick">${esc(t('clips.pick'))}</p>`;
      box.classList.remove('has-clip');
      return;
    }
    box.hidden = false;
    box.classList.add('has-clip');
    const m = clip.media || {};
    const integ = String(m.integrity || '');
    const problems = Array.isArray(m.problems) ? m.problems : [];
    let banner = '';
    if (integ === 'damaged') banner = `<div class="integ-banner bad">${esc(t('integ.bannerDamaged'))}</div>`;
    else if (integ === 'not-media') banner = `<div class="integ-banner warn">${esc(t('integ.bannerNotMedia'))}</div>`;

    const res = isNum(m.width) && isNum(m.height) ? `${m.width} × ${m.height}` : t('none');
    const custody = S.custody[clip.sha256];
    const cerr = S.custodyError[clip.sha256];
    let timeline;
    if (cerr) timeline = `<p class="error">${esc(t('error.load', { msg: cerr }))}</p>`;
    else if (!custody) timeline = `<p class="muted">${esc(t('loading'))}</p>`;
    else {
      const evs = Array.isArray(custody.events) ? custody.events.slice().sort((a, b) => num(a.seq) - num(b.seq)) : [];
      timeline = evs.length ? '<ol class="timeline">' + evs.map(ev => {
        const kind = String(ev.kind || '');
        const bits = [ev.actor ? esc(t('ev.actor', { a: ev.actor })) : '', ev.camera ? `<span class="mono">${esc(ev.camera)}</span>` : ''].filter(Boolean).join(' · ');
        return `<li data-kind="${esc(kind)}">
          <div class="tl-head"><span class="tl-seq mono">#${esc(ev.seq)}</span><strong class="tl-kind">${esc(window.camdockKind(kind))}</strong><time datetime="${esc(ev.at)}">${esc(fmtTime(ev.at))}</time></div>
          ${bits ? `<div class="tl-meta">${bits}</div>` : ''}
          ${ev.detail ? `<div class="tl-detail">${esc(typeof ev.detail === 'object' ? JSON.stringify(ev.detail) : ev.detail)}</div>` : ''}
          ${ev.hash ? `<div class="tl-hash"><span>${esc(t('ev.hash'))}</span> <code title="${esc(ev.hash)}">${esc(shortHash(ev.hash, 24))}</code></div>` : ''}
        </li>`;
      }).join('') + '</ol>' : `<p class="muted">${esc(t('clip.noEvents'))}</p>`;
    }

    box.innerHTML = `
      <div class="detail-head">
        <h2>${esc(t('clip.title'))} <code>${esc(shortHash(clip.sha256, 16))}</code></h2>
        <button type="button" class="close" data-close-detail aria-label="${esc(t('clip.close'))}">×</button>
      </div>
      ${banner}
      <h3>${esc(t('clip.media'))}</h3>
      ${kv([
        ['clip.integrity', integBadge(integ)],
        ['clip.duration', esc(isNum(m.duration_s) ? fmtDuration(m.duration_s) : t('none'))],
        ['clip.video', esc(m.video_codec || t('none'))],
        ['clip.audio', esc(m.audio_codec || t('none'))],
        ['clip.resolution', esc(res)],
      ])}
      ${problems.length ? `<div class="problems"><h4>${esc(t('clip.problems'))}</h4><ul>${problems.map(p => `<li>${esc(p)}</li>`).join('')}</ul></div>` : ''}
      <h3>${esc(t('clip.custody'))}</h3>
      ${timeline}

      ${kv([
        ['clip.camera', `<span class="mono">${esc(clip.camera || t('none'))}</span>`],
        ['clip.officer', esc(clip.officer || t('none'))],
        ['clip.case', `<span class="mono">${esc((clip.cases || []).join(", ") || t('none'))}</span>`],
        ['clip.sequence', esc(clip.sequence == null ? t('none') : clip.sequence)],
        ['clip.important', esc(clip.important ? t('yes') : t('no'))],
        ['clip.late', esc(clip.late ? t('yes') : t('no'))],
        ['clip.recorded_at', esc(fmtTime(clip.recorded_at))],
        ['clip.recorded_at_corrected', esc(fmtTime(clip.recorded_at_corrected))],
        ['clip.ingested_at', esc(fmtTime(clip.ingested_at))],
        ['clip.bytes', esc(fmtBytes(clip.bytes) + (isNum(clip.bytes) ? ` (${fmtInt(clip.bytes)} B)` : ''))],
        ['clip.recordings', fmtRecordings(clip.recordings)],
        ['clip.source', `<span class="mono">${esc(clip.source || t('none'))}</span>`],
        ['clip.store_path', `<span class="mono">${esc(clip.store_path || t('none'))}</span>`],
        ['clip.sha256', `<code class="hash">${esc(clip.sha256)}</code>`],
        ['clip.blake3', `<code class="hash">${esc(clip.blake3 || t('none'))}</code>`],
      ], 'kv-facts')}`;
  }

  // ---------------------------------------------------------------- audit
  async function loadAudit() {
    if (S.auditLoading) return;
    S.auditLoading = true;
    if (!S.audit) renderAudit();
    try {
      S.audit = await getJSON('/api/v1/audit');
      S.auditError = null;
    } catch (e) {
      S.auditError = e.message;
    } finally {
      S.auditLoading = false;
    }
    renderAudit();
  }

  function okBadge(ok, yesKey, noKey) {
    if (ok == null) return `<span class="muted">${esc(t('none'))}</span>`;
    return `<span class="badge ${ok ? 'ok' : 'bad'}">${esc(t(ok ? yesKey : noKey))}</span>`;
  }

  function renderProblems(p) {
    if (p == null) return `<p class="muted">${esc(t('audit.noProblems'))}</p>`;
    if (Array.isArray(p)) {
      if (!p.length) return `<p class="ok-text">${esc(t('audit.noProblems'))}</p>`;
      return '<ul class="problems-list">' + p.map(x => `<li>${esc(typeof x === 'object' ? JSON.stringify(x) : x)}</li>`).join('') + '</ul>';
    }
    if (isNum(p)) return Number(p) === 0 ? `<p class="ok-text">${esc(t('audit.noProblems'))}</p>` : `<p class="bad-text"><strong>${fmtInt(p)}</strong></p>`;
    return `<p class="bad-text">${esc(p)}</p>`;
  }

  function renderAudit() {
    const box = $('#audit');
    if (S.auditError && !S.audit) { box.innerHTML = `<p class="error">${esc(t('error.load', { msg: S.auditError }))}</p>`; return; }
    if (!S.audit) { box.innerHTML = `<p class="muted">${esc(t('loading'))}</p>`; return; }
    const a = S.audit;
    const v = a.last_verify;
    const cp = a.last_checkpoint;
    const lg = a.ledger || {};
    const hasProblems = v && ((Array.isArray(v.problems) && v.problems.length) || (isNum(v.problems) && Number(v.problems) > 0));
    const verifyOk = v ? (v.ok === true && v.chain_ok !== false && !hasProblems) : null;
    const when = x => `${esc(fmtTime(x))} <small class="muted">${esc(fmtAgo(x))}</small>`;
    box.innerHTML = `
      ${S.auditError ? `<p class="error">${esc(t('error.load', { msg: S.auditError }))}</p>` : ''}
      <article class="card ${v ? (verifyOk ? 'card-ok' : 'card-bad') : ''}" data-card="verify">
        <h2>${esc(t('audit.verify'))} ${v ? okBadge(verifyOk, 'audit.ok', 'audit.failed') : ''}</h2>
        ${v ? kv([
          ['audit.at', when(v.at)],
          ['audit.clipsChecked', esc(fmtInt(v.clips_checked))],
          ['audit.bytesChecked', esc(fmtBytes(v.bytes_checked))],
          ['audit.chain', okBadge(v.chain_ok, 'audit.chainOk', 'audit.chainBroken')],
        ]) + `<h3>${esc(t('audit.problems'))}</h3>` + renderProblems(v.problems) : `<p class="muted">${esc(t('audit.never'))}</p>`}
      </article>
      <article class="card" data-card="checkpoint">
        <h2>${esc(t('audit.checkpoint'))}</h2>
        ${cp ? kv([
          ['audit.at', when(cp.at)],
          ['audit.seq', esc(fmtInt(cp.seq))],
          ['audit.head', `<code class="hash">${esc(cp.head_hash || t('none'))}</code>`],
        ]) : `<p class="muted">${esc(t('audit.never'))}</p>`}
      </article>
      <article class="card ${lg.chain_ok === false ? 'card-bad' : ''}" data-card="ledger">
        <h2>${esc(t('audit.ledger'))}</h2>
        ${kv([
          ['audit.events', esc(fmtInt(lg.events))],
          ['audit.chain', okBadge(lg.chain_ok, 'audit.chainOk', 'audit.chainBroken')],
        ])}
      </article>
      ${renderReplica(a.replica)}`;
  }

  // The off-station copy: shown only where one is configured; failing is shown as a problem.
  function renderReplica(r) {
    if (!r || !r.enabled) return '';
    const failing = Array.isArray(r.failing) ? r.failing : [];
    const bad = failing.length > 0 || !!r.breaker_open_until || r.endpoint_failures > 0;
    return `<article class="card ${bad ? 'card-bad' : 'card-ok'}" data-card="replica">
        <h2>${esc(t('audit.replica'))} ${okBadge(!bad, 'audit.ok', 'audit.replicaFailing')}</h2>
        ${kv([
          ['audit.replicaBacklog', esc(fmtInt(r.backlog))],
          ['audit.replicaLast', r.last_replicated_at ? `${esc(fmtTime(r.last_replicated_at))} <small class="muted">${esc(fmtAgo(r.last_replicated_at))}</small>` : esc(t('audit.never'))],
          ...(r.endpoint_failures > 0 ? [['audit.replicaUnreachable', esc(fmtInt(r.endpoint_failures))]] : []),
          ...(r.breaker_open_until ? [['audit.replicaPaused', esc(fmtTime(r.breaker_open_until))]] : []),
        ])}
        ${failing.length ? `<h3>${esc(t('audit.replicaErrors'))}</h3><ul class="problems">` +
          failing.map(([clip, attempts, error]) => `<li><code class="hash">${esc(String(clip).slice(0, 12))}</code> ×${esc(fmtInt(attempts))}: ${esc(error)}</li>`).join('') + '</ul>' : ''}
      </article>`;
  }

  // ---------------------------------------------------------------- live data
  let es = null;
  function connect() {
    if (es) es.close();
    setConn('connecting');
    es = new EventSource('/api/v1/stream');
    es.addEventListener('open', () => setConn('live'));
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) { // the browser gave up (e.g. non-200): retry ourselves
        setConn('connecting');
        setTimeout(connect, 3000);
      } else {
        setConn('connecting');
      }
    });
    es.addEventListener('slots', e => {
      try { S.slots = JSON.parse(e.data); } catch (_) { return; }
      S.slotsAt = Date.now();
      setConn('live');
      renderDock();
    });
    es.addEventListener('fleet', e => {
      try { S.fleet = JSON.parse(e.data); } catch (_) { return; }
      if (currentRoute() === 'fleet') renderFleet();
    });
  }

  async function reloadFleet() {
    try { S.fleet = await getJSON('/api/v1/fleet'); } catch (_) { S.fleet = null; }
    if (currentRoute() === 'fleet') renderFleet();
  }

  async function initialLoad() {
    // First paint without waiting for the stream's first events.
    try { const s = await getJSON('/api/v1/slots'); if (!S.slotsAt) { S.slots = s; renderDock(); } } catch (_) { /* stream will bring it */ }
    try { const f = await getJSON('/api/v1/fleet'); if (!S.fleet) { S.fleet = f; renderFleet(); } } catch (_) { /* ditto */ }
  }

  // ---------------------------------------------------------------- wiring
  function init() {
    $$('.lang-switch [data-lang]').forEach(b => b.addEventListener('click', () => setLang(b.dataset.lang)));
    window.addEventListener('hashchange', showRoute);
    // Who is signed in decides what the stream carries (the fleet or the dock tiles alone).
    window.addEventListener('camdock:signed-in', () => { connect(); reloadFleet(); });
    window.addEventListener('camdock:signed-out', () => { S.fleet = null; connect(); });
    window.addEventListener('camdock:fleet-changed', reloadFleet);

    $('#fleet-table thead').addEventListener('click', e => {
      const b = e.target.closest('button[data-sort]');
      if (!b) return;
      const key = b.dataset.sort;
      if (S.fleetSort.key === key) S.fleetSort.dir = -S.fleetSort.dir;
      else S.fleetSort = { key, dir: 1 };
      renderFleet();
    });

    $('#clip-search').addEventListener('submit', e => { e.preventDefault(); searchClips(); });
    $('#clip-search').addEventListener('reset', () => { setTimeout(searchClips, 0); });
    $('#clips-more').addEventListener('click', () => { if (S.clipsNext) loadClips(S.clipsNext, true); });
    const clipBody = $('#clips-table tbody');
    clipBody.addEventListener('click', e => { const tr = e.target.closest('tr[data-sha]'); if (tr) selectClip(tr.dataset.sha); });
    clipBody.addEventListener('keydown', e => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      const tr = e.target.closest('tr[data-sha]');
      if (tr) { e.preventDefault(); selectClip(tr.dataset.sha); }
    });
    $('#clip-detail').addEventListener('click', e => {
      if (e.target.closest('[data-close-detail]')) { S.selected = null; renderClips(); renderClipDetail(); }
    });
    $('#audit-refresh').addEventListener('click', loadAudit);

    // Staleness watchdog + relative-time refresh.
    setInterval(() => {
      if (S.slotsAt && Date.now() - S.slotsAt > STALE_MS && S.conn === 'live') setConn('stale');
    }, 1000);
    setInterval(() => {
      const r = currentRoute();
      if (r === 'fleet') renderFleet();
      if (r === 'audit') loadAudit();
    }, 30000);

    applyStaticText();
    renderDock();
    renderFleet();
    renderClips();
    renderAudit();
    showRoute();
    connect();
    initialLoad();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
