// camdock dashboard: the Review page. A reviewer draws a spot check and records a finding on each
// drawn clip against the checklist (asking to view it from its row, as anywhere); an officer (or
// the equipment manager, on the officer's word) gives the written reason for a gap between
// recordings; compliance per officer for a period; the inspection register. Every act is the
// station's (`/api/v1/reviews`, `/gaps`, `/compliance`); the page offers only what the account may.
(() => {
  'use strict';

  const TEXT = {
    en: {
      heading: 'Review',
      lead: 'Spot checks of recordings, with the inspection register (002 Art. 18); gaps between recordings and their written reasons (003 Art. 12); compliance per officer.',
      'draw.heading': 'Draw a spot check', 'draw.from': 'Recorded from', 'draw.to': 'Recorded before',
      'draw.officer': 'Officer (all if blank)', 'draw.size': 'Clips', 'draw.go': 'Draw',
      'drawn.heading': 'Spot check #{draw}: {n} of {of} clips, seed {seed}',
      'col.clip': 'Clip', 'col.why': 'Weighted for', 'col.finding': 'Finding', 'col.gap': 'Gap', 'col.camera': 'Camera',
      'col.officer': 'Officer', 'col.after': 'After', 'col.length': 'Length', 'col.state': 'Reason',
      'col.recordings': 'Recordings', 'col.recorded': 'Recorded', 'col.intime': 'Stored in time', 'col.late': 'Late',
      'col.gaps': 'Gaps', 'col.explained': 'Explained', 'col.open': 'Open', 'col.findings': 'Findings', 'col.failed': 'Failed',
      'col.at': 'When', 'col.entry': 'Entry', 'col.actor': 'Account', 'col.draw': 'Spot check',
      'why.case': 'in a case', 'why.after-gap': 'after a gap', 'why.late': 'docked late',
      'finding.go': 'Record finding', 'finding.note': 'Note', 'finding.done': 'Recorded (#{seq})',
      'answer.pass': 'pass', 'answer.fail': 'fail', 'answer.not-applicable': 'n/a',
      'request': 'Request to view', 'request.why': 'Why do you need to view this clip? (on the record, for the approver)',
      'request.filed': 'Requested (#{id})',
      'gaps.heading': 'Gaps between recordings', 'gap.open': 'open', 'gap.explain': 'Explain', 'gap.text': 'in words',
      'gap.explained': '{reason}: {text} (by {by}, on {officer}\u2019s word)',
      'reason.equipment-fault': 'equipment fault', 'reason.battery-or-storage': 'battery or storage', 'reason.weather': 'weather',
      'reason.obstruction': 'obstruction', 'reason.other': 'other',
      'compliance.heading': 'Compliance per officer', 'compliance.go': 'Show',
      'register.heading': 'Inspection register', 'entry.draw': 'spot check drawn', 'entry.viewing': 'viewing', 'entry.finding': 'finding',
      none: 'None.',
    },
    zh: {
      heading: '检查',
      lead: '录像抽查与检查台账（002 第十八条）；录像中断及书面说明（003 第十二条）；按执法人员统计的规范情况。',
      'draw.heading': '抽查录像', 'draw.from': '录制起始', 'draw.to': '录制截止（不含）',
      'draw.officer': '警号（留空为全部）', 'draw.size': '抽取条数', 'draw.go': '抽取',
      'drawn.heading': '抽查 #{draw}：从 {of} 条中抽取 {n} 条，种子 {seed}',
      'col.clip': '录像', 'col.why': '加权原因', 'col.finding': '检查结论', 'col.gap': '中断', 'col.camera': '记录仪',
      'col.officer': '警号', 'col.after': '中断前录像', 'col.length': '时长', 'col.state': '原因',
      'col.recordings': '录像数', 'col.recorded': '录制时长', 'col.intime': '按时存储', 'col.late': '逾期',
      'col.gaps': '中断', 'col.explained': '已说明', 'col.open': '未说明', 'col.findings': '检查结论', 'col.failed': '不合格',
      'col.at': '时间', 'col.entry': '事项', 'col.actor': '账号', 'col.draw': '抽查',
      'why.case': '涉案', 'why.after-gap': '中断后', 'why.late': '逾期存储',
      'finding.go': '记录结论', 'finding.note': '备注', 'finding.done': '已记录（#{seq}）',
      'answer.pass': '合格', 'answer.fail': '不合格', 'answer.not-applicable': '不适用',
      'request': '申请调阅', 'request.why': '调阅此录像的事由？（记入账本，供审批人查看）', 'request.filed': '已申请（#{id}）',
      'gaps.heading': '录像中断', 'gap.open': '未说明', 'gap.explain': '说明', 'gap.text': '文字说明',
      'gap.explained': '{reason}：{text}（{by} 记录，{officer} 陈述）',
      'reason.equipment-fault': '设备故障', 'reason.battery-or-storage': '电量或存储', 'reason.weather': '天气',
      'reason.obstruction': '遮挡或阻碍', 'reason.other': '其他',
      'compliance.heading': '执法人员规范情况', 'compliance.go': '查看',
      'register.heading': '检查台账', 'entry.draw': '抽查', 'entry.viewing': '调阅', 'entry.finding': '检查结论',
      none: '暂无。',
      'item.recorded-throughout': '从到达现场至离开全程录制，无遗漏（001 第十八条；004 第十一条）',
      'item.statement-at-start': '开始时口头说明时间、地点和执法事项（001 第十八条）',
      'item.interruptions-explained': '中断后恢复录制时口头说明原因，或书面说明（001 第十九条；000 第五条；003 第十二条）',
      'item.picture-usable': '画面能反映现场情况（未遮挡、不过暗、清晰）',
      'item.sound-usable': '声音清晰可辨',
    },
  };

  const A = () => window.camdockAccess;
  const $ = s => document.querySelector(s);
  const lang = () => (A() ? A().lang() : 'en');
  const t = (k, p) => String((TEXT[lang()] || TEXT.en)[k] ?? TEXT.en[k] ?? k).replace(/\{(\w+)\}/g, (_, n) => (p && p[n] != null ? p[n] : ''));
  const el = (...a) => A().el(...a);
  let checklist = [];
  let reasons = [];
  let lastDraw = null;

  function table(sel, heads, rows) {
    const tb = $(sel);
    tb.hidden = false;
    tb.tHead.replaceChildren(el('tr', {}, heads.map(h => el('th', { textContent: t(h) }))));
    tb.tBodies[0].replaceChildren(...(rows.length ? rows : [el('tr', {}, [el('td', { textContent: t('none'), colSpan: heads.length })])]));
  }

  function showError(msg) {
    const b = $('#review-error');
    b.textContent = msg || '';
    b.hidden = !msg;
  }

  const iso = date => (date ? `${date}T00:00:00Z` : '');
  const question = c => (lang() === 'zh' && TEXT.zh['item.' + c.item]) || c.question;

  function applyText() {
    document.querySelectorAll('[data-review]').forEach(e => { e.textContent = t(e.dataset.review); });
  }

  function renderDraw() {
    const card = $('#drawn-card');
    if (!lastDraw) { card.hidden = true; return; }
    card.hidden = false;
    const d = lastDraw.drawn;
    $('#drawn-heading').textContent = t('drawn.heading', { draw: lastDraw.draw, n: d.clips.length, of: d.candidates, seed: d.seed });
    const rows = d.clips.map(c => {
      const ask = el('button', { type: 'button', textContent: t('request'), className: 'row-request-review' });
      ask.addEventListener('click', async () => {
        const reason = window.prompt(t('request.why'));
        if (!reason || !reason.trim()) return;
        try {
          const made = await A().requestView(c.sha256, reason.trim(), lastDraw.draw);
          ask.textContent = t('request.filed', { id: made.id });
          ask.disabled = true;
          showError('');
        } catch (e) { showError(e.message); }
      });
      const form = el('form', { className: 'finding-form' });
      for (const item of checklist) {
        const select = el('select', { name: item.item, title: question(item) }, ['pass', 'fail', 'not-applicable'].map(a => el('option', { value: a, textContent: t('answer.' + a) })));
        form.append(el('label', {}, [el('span', { textContent: question(item) }), select]));
      }
      form.append(el('label', {}, [el('span', { textContent: t('finding.note') }), el('input', { name: 'note', type: 'text' })]));
      const done = el('span', { className: 'lead' });
      form.append(el('button', { type: 'submit', className: 'primary', textContent: t('finding.go') }), done);
      form.addEventListener('submit', async ev => {
        ev.preventDefault();
        const checks = checklist.map(i => ({ item: i.item, answer: form.elements[i.item].value }));
        try {
          const r = await A().api('POST', `/api/v1/reviews/${lastDraw.draw}/findings`, { clip: c.sha256, checks, note: form.elements.note.value });
          done.textContent = t('finding.done', { seq: r.seq });
          showError('');
          loadRegister();
          if (A().can('see-clips')) showCompliance();
        } catch (e) { showError(e.message); }
      });
      const tr = el('tr', {}, [
        el('td', { className: 'mono', textContent: `${c.sha256.slice(0, 12)}… · ${c.camera} · ${c.officer || ''}`, title: c.sha256 }),
        el('td', { textContent: c.why.map(w => t('why.' + w)).join(', ') }),
        el('td', {}, [ask]),
        el('td', {}, [form]),
      ]);
      tr.dataset.sha = c.sha256;
      return tr;
    });
    table('#drawn', ['col.clip', 'col.why', '', 'col.finding'], rows);
  }

  async function draw(ev) {
    ev.preventDefault();
    const f = ev.target;
    try {
      lastDraw = await A().api('POST', '/api/v1/reviews', {
        from: iso(f.from.value), to: iso(f.to.value), officer: f.officer.value.trim(), size: Number(f.size.value) || 1,
      });
      showError('');
      renderDraw();
      loadRegister();
    } catch (e) { showError(e.message); }
  }

  async function loadGaps() {
    const answer = await A().api('GET', '/api/v1/gaps');
    const gaps = answer.gaps;
    reasons = answer.reasons;
    const mayExplain = A().can('explain-gap');
    const rows = gaps.map(g => {
      const state = el('td');
      if (g.explained) {
        const e = g.explained;
        state.textContent = t('gap.explained', { reason: t('reason.' + e.reason), text: e.text, by: e.by, officer: e.officer });
      } else if (mayExplain) {
        const form = el('form', { className: 'explain-form' }, [
          el('select', { name: 'reason' }, reasons.map(r => el('option', { value: r, textContent: t('reason.' + r) }))),
          el('input', { name: 'text', type: 'text', placeholder: t('gap.text') }),
          el('button', { type: 'submit', className: 'primary', textContent: t('gap.explain') }),
        ]);
        form.addEventListener('submit', async ev => {
          ev.preventDefault();
          try {
            await A().api('POST', `/api/v1/gaps/${encodeURIComponent(g.id)}/explanation`, { reason: form.elements.reason.value, text: form.elements.text.value });
            showError('');
            loadGaps();
          } catch (e) { showError(e.message); }
        });
        state.append(form);
      } else {
        state.textContent = t('gap.open');
      }
      const tr = el('tr', {}, [
        el('td', { className: 'mono', textContent: g.id }), el('td', { className: 'mono', textContent: g.camera }),
        el('td', { textContent: g.officer || '' }), el('td', { textContent: g.resumed_at ? A().localTime(g.resumed_at) : g.before }),
        el('td', { textContent: `${Math.round(g.seconds)} s` }), state,
      ]);
      tr.dataset.gap = g.id;
      return tr;
    });
    table('#gaps', ['col.gap', 'col.camera', 'col.officer', 'col.after', 'col.length', 'col.state'], rows);
  }

  const hms = h => { const s = Math.round(h * 3600); return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`; };

  async function showCompliance(ev) {
    ev?.preventDefault();
    const f = $('#compliance-form');
    try {
      const list = await A().api('GET', `/api/v1/compliance?from=${encodeURIComponent(iso(f.from.value))}&to=${encodeURIComponent(iso(f.to.value))}`);
      const rows = list.map(o => {
        const tr = el('tr', {}, [o.officer, o.recordings, hms(o.hours_recorded), o.stored_in_time, o.stored_late, o.gaps,
          o.gaps_explained, o.gaps_open, o.findings, o.findings_failed].map(v => el('td', { textContent: String(v) })));
        tr.dataset.officer = o.officer;
        return tr;
      });
      table('#compliance', ['col.officer', 'col.recordings', 'col.recorded', 'col.intime', 'col.late', 'col.gaps', 'col.explained', 'col.open', 'col.findings', 'col.failed'], rows);
      showError('');
    } catch (e) { showError(e.message); }
  }

  async function loadRegister() {
    const may = A().can('see-register');
    $('#review-register-heading').hidden = !may;
    $('#review-register').hidden = !may;
    if (!may) return;
    const r = await A().api('GET', '/api/v1/reviews');
    checklist = r.checklist;
    const rows = r.register.slice().reverse().map(e => el('tr', {}, [
      el('td', { textContent: A().localTime(e.at), title: e.at }), el('td', { textContent: t('entry.' + e.entry) }),
      el('td', { textContent: e.draw != null ? '#' + e.draw : '' }), el('td', { textContent: e.actor }),
      el('td', { className: 'mono', textContent: (e.clip || '').slice(0, 12) }),
    ]));
    table('#review-register', ['col.at', 'col.entry', 'col.draw', 'col.actor', 'col.clip'], rows);
  }

  async function refresh() {
    if (!A() || !A().account() || location.hash !== '#review') return;
    $('#draw-form').hidden = !A().can('review');
    $('#compliance-form').hidden = !A().can('see-clips');
    const month = new Date(Date.now() - 30 * 864e5).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 864e5).toISOString().slice(0, 10);
    for (const f of [$('#draw-form'), $('#compliance-form')]) {
      if (!f.from.value) f.from.value = month;
      if (!f.to.value) f.to.value = tomorrow;
    }
    try {
      await Promise.all([loadRegister(), loadGaps()]);
      if (A().can('see-clips')) await showCompliance();
      showError('');
    } catch (e) { showError(e.message); }
  }

  function init() {
    applyText();
    new MutationObserver(() => { applyText(); renderDraw(); refresh(); }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    $('#draw-form').addEventListener('submit', draw);
    $('#compliance-form').addEventListener('submit', showCompliance);
    window.addEventListener('hashchange', refresh);
    window.addEventListener('camdock:signed-in', refresh);
    refresh();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
