// The console's pages. Each page is a function (ctx, params) that fills ctx.root; ctx.alive()
// turns false once the user has gone to another page (polling stops then).
// Every text from the server goes in with textContent (h() below), never as HTML.
import * as api from './api.js';
import { sparkline } from './charts.js';
import { triggerInWords, triggerWindow } from './trigger_words.js';

// --- DOM helpers ----------------------------------------------------------------------------

// h('a', {href: '#/x', class: 'btn'}, 'text', child, ...): attributes are set with
// setAttribute (no inline styles or handlers: the CSP forbids them); `on` takes listeners.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') {
      for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function clear(el) { while (el.firstChild) el.firstChild.remove(); }

export function fmtTime(ms) {
  if (ms === null || ms === undefined || ms <= 0) return '—';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function fmtRel(ms, now = Date.now()) {
  if (!ms) return '';
  const d = Math.round((ms - now) / 1000);
  const a = Math.abs(d);
  const t = a < 90 ? `${a} s` : a < 5400 ? `${Math.round(a / 60)} min` :
    a < 172800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} days`;
  return d >= 0 ? `in ${t}` : `${t} ago`;
}

function fmtNum(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 100 ? String(Math.round(v)) : v.toFixed(digits);
}

function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}

// A status line under a form or table: role=status (polite) or alert (errors).
function notice(kind, text) {
  return h('p', { class: kind === 'error' ? 'error' : 'note', role: kind === 'error' ? 'alert' : 'status' }, text);
}

function errorText(e) {
  if (e instanceof api.ApiError) {
    if (e.status === 501) return 'Not available yet: the server answers 501 "not implemented yet" (this view comes with the task indexes).';
    return e.status ? `${e.message} (HTTP ${e.status})` : e.message;
  }
  return String(e && e.message || e);
}

function table(headers, rows, caption) {
  return h('div', { class: 'table-wrap' },
    h('table', {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
}

function field(label, input, hint) {
  const id = input.id || ('f-' + Math.random().toString(36).slice(2, 9));
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint ? h('small', {}, hint) : null);
}

function pauseText(p) {
  if (!p) return 'running';
  return p.kind === 'auto' ? `auto-paused: ${p.reason}` : `paused: ${p.reason}`;
}

async function appKeys() {
  const data = await api.get('/admin/apps');
  return data.apps || [];
}

function appSelect(apps, selected, id) {
  return h('select', { id, name: 'app' },
    h('option', { value: '' }, '— choose an application —'),
    apps.map((a) => h('option', { value: a.appKey, selected: a.appKey === selected },
      a.appName ? `${a.appName} (${a.appKey})` : a.appKey)));
}

// Replaces the content of `slot` with the result of an async render, or its error.
async function fill(slot, fn) {
  try {
    const node = await fn();
    clear(slot);
    if (node) slot.append(node);
  } catch (e) {
    clear(slot);
    slot.append(notice('error', errorText(e)));
  }
}

// --- Overview -------------------------------------------------------------------------------

// Quantile of the difference of two cumulative histograms (linear inside a bucket).
function windowQuantile(bounds, now, before, q) {
  const cum = now.map((c, i) => c - (before ? before[i] : 0));
  const total = cum[cum.length - 1];
  if (!total) return null;
  const rank = q * total;
  for (let i = 0; i < cum.length; i++) {
    if (cum[i] >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const lo = i === 0 ? 0 : bounds[i - 1];
      const below = i === 0 ? 0 : cum[i - 1];
      const inb = cum[i] - below;
      return inb <= 0 ? bounds[i] : lo + (bounds[i] - lo) * (rank - below) / inb;
    }
  }
  return bounds[bounds.length - 1];
}

const HISTORY = 90;  // samples kept: 3 minutes at one every 2 s

export async function overview(ctx) {
  const root = ctx.root;
  root.append(h('h1', {}, 'Overview'));
  const tiles = h('div', { class: 'tiles' });
  const apps = h('div', { class: 'apps-live' });
  const status = h('p', { class: 'note', role: 'status' }, 'Loading…');
  root.append(status, tiles, h('h2', {}, 'Per application'), apps);
  const samples = [];
  const series = { rate: [], fail: [], p50: [], p99: [], waiting: [], inflight: [] };

  const tile = (title, value, values, label) => h('section', { class: 'tile' },
    h('h2', {}, title), h('p', { class: 'big' }, value), sparkline(values, { label }));

  async function tick() {
    if (!ctx.alive()) return;
    try {
      const s = await api.get('/admin/stats');
      if (!ctx.alive()) return;
      const prev = samples[samples.length - 1];
      samples.push(s);
      if (samples.length > HISTORY) samples.shift();
      let rate = null, fail = null, p50 = null, p99 = null;
      if (prev && s.now > prev.now) {
        const dt = (s.now - prev.now) / 1000;
        rate = (s.deliveries.total - prev.deliveries.total) / dt;
        fail = (s.deliveries.failed - prev.deliveries.failed) / dt;
        // Lateness over the last 30 s of samples (or since start before that).
        const base = samples[Math.max(0, samples.length - 16)];
        p50 = windowQuantile(s.lateness.bounds, s.lateness.cumulative,
          base === s ? null : base.lateness.cumulative, 0.5);
        p99 = windowQuantile(s.lateness.bounds, s.lateness.cumulative,
          base === s ? null : base.lateness.cumulative, 0.99);
      }
      for (const [k, v] of [['rate', rate], ['fail', fail], ['p50', p50], ['p99', p99],
        ['waiting', s.tasks.waiting], ['inflight', s.tasks.inFlight]]) {
        series[k].push(v);
        if (series[k].length > HISTORY) series[k].shift();
      }
      clear(tiles);
      tiles.append(
        tile('Deliveries / s', fmtNum(rate), series.rate, 'deliveries per second'),
        tile('Failures / s', fmtNum(fail), series.fail, 'failed attempts per second'),
        tile('Lateness p50', fmtSeconds(p50 ?? s.lateness.p50Seconds), series.p50, 'lateness p50'),
        tile('Lateness p99', fmtSeconds(p99 ?? s.lateness.p99Seconds), series.p99, 'lateness p99'),
        tile('Waiting', String(s.tasks.waiting), series.waiting, 'tasks waiting'),
        tile('In flight', String(s.tasks.inFlight), series.inflight, 'attempts in flight'));
      const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
      status.textContent = `Updated ${fmtTime(s.now)} · every 2 s · since start: ` +
        `${s.deliveries.success} delivered, ${plural(s.deliveries.failed, 'failed attempt')}, ` +
        `${s.tasks.queued} queued in memory`;
      clear(apps);
      apps.append(table(['Application', 'State', 'In flight', 'Queued', 'Window', 'Failures in a row'],
        s.apps.map((a) => h('tr', {},
          h('td', {}, h('a', { href: `#/apps/${encodeURIComponent(a.appKey)}` }, a.name || a.appKey)),
          h('td', { class: a.paused ? 'warn' : '' }, pauseText(a.paused)),
          h('td', { class: 'num' }, String(a.inFlight)),
          h('td', { class: 'num' }, String(a.queued)),
          h('td', { class: 'num' }, String(a.window)),
          h('td', { class: 'num' }, String(a.consecutiveFailures)))),
        s.apps.length ? null : 'No applications yet'));
    } catch (e) {
      if (!ctx.alive()) return;
      status.textContent = errorText(e);
      status.className = 'error';
    }
    if (ctx.alive()) ctx.timer(tick, 2000);
  }
  await tick();
}

// --- Applications ---------------------------------------------------------------------------

function revealKeys(title, data, done) {
  const rows = [['appKey', data.appKey], ['secretKey', data.secretKey],
    ['webhookSecret', data.webhookSecret]].filter(([, v]) => v);
  return h('section', { class: 'card reveal', 'aria-live': 'polite' },
    h('h2', {}, title),
    h('p', { class: 'warn' }, 'Copy these now: the secret is shown only this once. The console keeps no copy.'),
    h('dl', { class: 'keys' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, h('code', { 'data-key': k }, v))])),
    h('button', { type: 'button', on: { click: done } }, 'I have copied them'));
}

export async function apps(ctx) {
  const root = ctx.root;
  root.append(h('h1', {}, 'Applications'));
  const revealSlot = h('div');
  const listSlot = h('div', {}, notice('note', 'Loading…'));
  const msg = h('div');
  const name = h('input', { name: 'appName', required: true, maxlength: 64, autocomplete: 'off' });
  const link = h('input', { name: 'linkUrl', type: 'url', required: true, placeholder: 'https://example.com/hook' });
  const key = h('input', { name: 'appKey', pattern: '[A-Za-z0-9]{16,64}', autocomplete: 'off' });
  const form = h('form', { class: 'card', id: 'create-app' },
    h('h2', {}, 'Create an application'),
    field('Name', name),
    field('Callback URL', link),
    field('App key (optional)', key, '16–64 letters and digits, to keep a key you already use'),
    msg,
    h('button', { type: 'submit' }, 'Create'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(msg);
    const body = { appName: name.value.trim(), linkUrl: link.value.trim() };
    if (key.value.trim()) body.appKey = key.value.trim();
    try {
      const data = await api.post('/application/create', body);
      form.reset();
      clear(revealSlot);
      revealSlot.append(revealKeys(`Application ${data.appKey} created`, data, () => clear(revealSlot)));
      revealSlot.querySelector('button').focus();
      await fill(listSlot, renderList);
    } catch (e) {
      msg.append(notice('error', errorText(e)));
    }
  });
  async function renderList() {
    const list = await appKeys();
    return table(['Application', 'App key', 'Callback URL', 'State', 'Parallelism', 'Rate / s', 'Time zone'],
      list.map((a) => h('tr', {},
        h('td', {}, h('a', { href: `#/apps/${encodeURIComponent(a.appKey)}` }, a.appName || '(no name)')),
        h('td', {}, h('code', {}, a.appKey)),
        h('td', { class: 'url' }, a.linkUrl),
        h('td', { class: a.paused ? 'warn' : '' }, pauseText(a.pause)),
        h('td', { class: 'num' }, a.parallelism ? String(a.parallelism) : 'server default'),
        h('td', { class: 'num' }, a.ratePerSecond ? String(a.ratePerSecond) : 'no limit'),
        h('td', {}, a.timeZone || 'server zone'))),
      list.length ? `${list.length} application${list.length === 1 ? '' : 's'}` : 'No applications yet');
  }
  root.append(revealSlot, listSlot, form);
  await fill(listSlot, renderList);
}

export async function appDetail(ctx, { appKey }) {
  const root = ctx.root;
  const path = `/admin/apps/${encodeURIComponent(appKey)}`;
  root.append(h('p', {}, h('a', { href: '#/apps' }, '← Applications')));
  const head = h('div');
  const revealSlot = h('div');
  const msg = h('div', { class: 'msg' });
  root.append(head, revealSlot, msg);
  let app;

  const say = (kind, text) => { clear(msg); msg.append(notice(kind, text)); };

  async function render() {
    app = await api.get(path);
    clear(head);
    const d = app.delivery;
    head.append(
      h('h1', {}, app.appName || app.appKey),
      h('dl', { class: 'props' },
        h('dt', {}, 'App key'), h('dd', {}, h('code', {}, app.appKey)),
        h('dt', {}, 'Callback URL'), h('dd', { class: 'url' }, app.linkUrl),
        h('dt', {}, 'State'), h('dd', { id: 'app-state', class: app.paused ? 'warn' : '' }, pauseText(app.pause)),
        h('dt', {}, 'Retries'), h('dd', {}, `${app.retryTotal}, ${app.step} s apart`),
        h('dt', {}, 'Success when'), h('dd', {}, app.successMode === 'status' ? 'HTTP 2xx' : 'the answer body says success'),
        h('dt', {}, 'Created'), h('dd', {}, fmtTime(app.createdAt)),
        h('dt', {}, 'Secret'), h('dd', {}, 'never shown again after creation; rotate it to get a new one'),
        d ? [h('dt', {}, 'Now'), h('dd', {}, `${d.inFlight} in flight, ${d.queued} queued, window ${d.window}`)] : null),
      h('p', { class: 'actions' },
        app.paused
          ? h('button', { type: 'button', id: 'resume', on: { click: () => act('resume') } }, 'Resume deliveries')
          : h('button', { type: 'button', id: 'pause', on: { click: () => act('pause') } }, 'Pause deliveries'),
        h('a', { class: 'btn secondary', href: `#/schedules/${encodeURIComponent(app.appKey)}` }, 'Schedules'),
        h('a', { class: 'btn secondary', href: `#/tasks?app=${encodeURIComponent(app.appKey)}` }, 'Tasks')),
      settingsForm(), rotateForm());
  }

  async function act(what) {
    try {
      await api.post(`/application/${what}`, { app_key: appKey });
      await render();
      say('note', what === 'pause' ? 'Paused: due deliveries wait; nothing fails.' : 'Resumed: deliveries go on.');
      head.querySelector(what === 'pause' ? '#resume' : '#pause')?.focus();
    } catch (e) { say('error', errorText(e)); }
  }

  function settingsForm() {
    const par = h('input', { type: 'number', min: 0, max: 100000, step: 1, value: app.parallelism, name: 'parallelism' });
    const rate = h('input', { type: 'number', min: 0, max: 100000, step: 'any', value: app.ratePerSecond, name: 'ratePerSecond' });
    const tz = h('input', { name: 'timeZone', value: app.timeZone, placeholder: 'e.g. Asia/Tokyo (empty: the server zone)', autocomplete: 'off' });
    const form = h('form', { class: 'card', id: 'flow' },
      h('h2', {}, 'Flow control'),
      field('Parallelism', par, 'callbacks in flight at most; 0: the server default'),
      field('Rate per second', rate, 'callbacks started per second at most; 0: no limit'),
      field('Time zone', tz, 'IANA name; read by schedules with zone_type 2'),
      h('button', { type: 'submit' }, 'Save'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { app_key: appKey, timeZone: tz.value.trim() };
      if (par.value !== '') body.parallelism = Number(par.value);
      if (rate.value !== '') body.ratePerSecond = Number(rate.value);
      try {
        await api.post('/application/update', body);
        await render();
        say('note', 'Saved.');
      } catch (e) { say('error', errorText(e)); }
    });
    return form;
  }

  function rotateForm() {
    const grace = h('input', { type: 'number', min: 0, max: 604800, step: 1, value: 86400, name: 'graceSeconds' });
    const form = h('form', { class: 'card', id: 'rotate' },
      h('h2', {}, 'Rotate the secret'),
      field('Grace period (seconds)', grace, 'how long the old secret keeps working (0–604800)'),
      h('button', { type: 'submit', class: 'danger' }, 'Rotate secret'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const data = await api.post('/application/rotate-secret',
          { app_key: appKey, graceSeconds: Number(grace.value || 0) });
        clear(revealSlot);
        revealSlot.append(revealKeys('New secret', data, () => clear(revealSlot)));
        revealSlot.querySelector('button').focus();
      } catch (e) { say('error', errorText(e)); }
    });
    return form;
  }

  try { await render(); } catch (e) { head.append(notice('error', errorText(e))); }
}

// --- Schedules ------------------------------------------------------------------------------

export async function schedules(ctx, { appKey = '' }) {
  const root = ctx.root;
  root.append(h('h1', {}, 'Schedules'));
  const listSlot = h('div');
  const msg = h('div', { class: 'msg' });
  let all;
  try { all = await appKeys(); } catch (e) { root.append(notice('error', errorText(e))); return; }
  const sel = appSelect(all, appKey, 'schedule-app');
  sel.addEventListener('change', () => { location.hash = `#/schedules/${encodeURIComponent(sel.value)}`; });
  root.append(h('div', { class: 'filters' }, field('Application', sel)), msg, listSlot);
  if (!appKey) {
    listSlot.append(notice('note', 'Choose an application to see its schedules.'));
    return;
  }
  const base = `/admin/apps/${encodeURIComponent(appKey)}/schedules`;
  const say = (kind, text) => { clear(msg); msg.append(notice(kind, text)); };

  async function renderList() {
    const page = await api.get(base);
    return table(['Name', 'Trigger', 'Next fire', 'Fires', 'State', ''],
      page.schedules.map(({ schedule: s, canonicalTrigger: t }) => h('tr', { 'data-schedule': s.schedule_id },
        h('td', {}, h('a', { href: `#/schedules/${encodeURIComponent(appKey)}/${encodeURIComponent(s.schedule_id)}` }, s.name)),
        h('td', { class: 'trigger' }, triggerInWords(t, s.time_zone),
          triggerWindow(t) ? h('small', {}, ' ' + triggerWindow(t)) : null),
        h('td', {}, s.next_fire ? [fmtTime(s.next_fire), h('small', {}, ' ' + fmtRel(s.next_fire))] : '—'),
        h('td', { class: 'num' }, String(s.fires)),
        h('td', {}, s.expired ? 'expired' : s.enabled ? 'enabled' : 'disabled'),
        h('td', { class: 'row-actions' },
          s.expired ? null : h('button', { type: 'button', class: 'secondary', on: { click: () => toggle(s) } },
            s.enabled ? 'Disable' : 'Enable'),
          h('button', { type: 'button', class: 'danger', on: { click: () => remove(s) } }, 'Delete')))),
      `${page.totalCount} schedule${page.totalCount === 1 ? '' : 's'}` +
        (page.totalPages > 1 ? ` (page ${page.page} of ${page.totalPages})` : ''));
  }
  async function toggle(s) {
    try {
      await api.post(`${base}/${encodeURIComponent(s.schedule_id)}/${s.enabled ? 'disable' : 'enable'}`);
      say('note', `${s.name}: ${s.enabled ? 'disabled' : 'enabled'}.`);
      await fill(listSlot, renderList);
    } catch (e) { say('error', errorText(e)); }
  }
  async function remove(s) {
    if (!window.confirm(`Delete schedule "${s.name}"? Its future fires are cancelled.`)) return;
    try {
      await api.del(`${base}/${encodeURIComponent(s.schedule_id)}`);
      say('note', `${s.name}: deleted.`);
      await fill(listSlot, renderList);
    } catch (e) { say('error', errorText(e)); }
  }
  await fill(listSlot, renderList);
}

export async function scheduleDetail(ctx, { appKey, scheduleId }) {
  const root = ctx.root;
  root.append(h('p', {}, h('a', { href: `#/schedules/${encodeURIComponent(appKey)}` }, '← Schedules')));
  try {
    const d = await api.get(`/admin/apps/${encodeURIComponent(appKey)}/schedules/${encodeURIComponent(scheduleId)}`);
    const s = d.schedule;
    root.append(h('h1', {}, s.name),
      h('dl', { class: 'props' },
        h('dt', {}, 'Schedule id'), h('dd', {}, h('code', {}, s.schedule_id)),
        h('dt', {}, 'Trigger'), h('dd', { class: 'trigger' }, triggerInWords(d.canonicalTrigger, s.time_zone)),
        h('dt', {}, 'Window'), h('dd', {}, triggerWindow(d.canonicalTrigger) || '—'),
        h('dt', {}, 'Next fire'), h('dd', {}, s.next_fire ? `${fmtTime(s.next_fire)} (${fmtRel(s.next_fire)})` : '—'),
        h('dt', {}, 'State'), h('dd', {}, s.expired ? 'expired' : s.enabled ? 'enabled' : 'disabled'),
        h('dt', {}, 'Created'), h('dd', {}, fmtTime(s.created_at))),
      h('h2', {}, 'Push'), h('pre', { class: 'json' }, JSON.stringify(s.push, null, 2)),
      h('h2', {}, `Messages (${d.msgIds.length})`),
      d.msgIds.length
        ? h('ol', { class: 'msgids' }, d.msgIds.map((m) =>
          h('li', {}, h('a', { href: `#/tasks/${encodeURIComponent(appKey)}/${m}` }, `message ${m}`))))
        : notice('note', 'No fires yet.'));
  } catch (e) {
    root.append(notice('error', errorText(e)));
  }
}

// --- Tasks and failed deliveries (lists answer 501 until phase 2) ---------------------------

const STATES = ['', 'waiting', 'running', 'success', 'cancelled', 'failed'];

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// datetime-local value (UTC) -> unix ms, or ''.
function msOf(v) { return v ? String(Date.parse(v + 'Z')) : ''; }

function listRows(items, appKey) {
  return items.map((t) => h('tr', {},
    h('td', {}, h('a', { href: `#/tasks/${encodeURIComponent(t.appKey || appKey)}/${t.taskId}` }, String(t.taskId))),
    h('td', {}, t.taskNo || ''),
    h('td', {}, t.appKey || appKey),
    h('td', {}, t.state),
    h('td', {}, fmtTime(t.runtimeMs)),
    h('td', { class: 'num' }, String(t.round ?? ''))));
}

export async function tasks(ctx, params) {
  const root = ctx.root;
  root.append(h('h1', {}, 'Tasks'));
  let all = [];
  try { all = await appKeys(); } catch (e) { root.append(notice('error', errorText(e))); return; }
  const sel = appSelect(all, params.app || '', 'task-app');
  const state = h('select', { name: 'state', id: 'task-state' },
    STATES.map((s) => h('option', { value: s, selected: s === (params.state || '') }, s || 'any state')));
  const prefix = h('input', { name: 'prefix', value: params.prefix || '', autocomplete: 'off', placeholder: 'taskNo prefix' });
  const from = h('input', { name: 'from', type: 'datetime-local', step: 1 });
  const to = h('input', { name: 'to', type: 'datetime-local', step: 1 });
  const listSlot = h('div');
  const form = h('form', { class: 'filters', id: 'task-filters' },
    field('Application', sel), field('State', state), field('taskNo prefix', prefix),
    field('Due from (UTC)', from), field('Due to (UTC)', to),
    h('button', { type: 'submit' }, 'Filter'));
  let cursor = '';
  async function load(more) {
    const q = { app: sel.value, state: state.value, prefix: prefix.value.trim(),
      from: msOf(from.value), to: msOf(to.value), cursor: more ? cursor : '', limit: 50 };
    const page = await api.get('/admin/tasks' + query(q));
    cursor = page.nextCursor || '';
    return h('div', {},
      table(['Task', 'taskNo', 'Application', 'State', 'Due', 'Round'], listRows(page.tasks || [], sel.value)),
      cursor ? h('button', { type: 'button', on: { click: () => fill(listSlot, () => load(true)) } }, 'Next page') : null);
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); fill(listSlot, () => load(false)); });

  const openApp = appSelect(all, params.app || '', 'open-app');
  const openId = h('input', { name: 'taskId', inputmode: 'numeric', pattern: '[0-9]+', required: true, autocomplete: 'off' });
  const open = h('form', { class: 'card', id: 'open-task' },
    h('h2', {}, 'Open a task'),
    field('Application', openApp), field('Task id', openId),
    h('button', { type: 'submit' }, 'Open'));
  open.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!openApp.value) { openApp.focus(); return; }
    location.hash = `#/tasks/${encodeURIComponent(openApp.value)}/${encodeURIComponent(openId.value.trim())}`;
  });
  root.append(form, listSlot, open);
  await fill(listSlot, () => load(false));
}

export async function failed(ctx, params) {
  const root = ctx.root;
  root.append(h('h1', {}, 'Failed deliveries'));
  let all = [];
  try { all = await appKeys(); } catch (e) { root.append(notice('error', errorText(e))); return; }
  const sel = appSelect(all, params.app || '', 'failed-app');
  const from = h('input', { name: 'from', type: 'datetime-local', step: 1 });
  const to = h('input', { name: 'to', type: 'datetime-local', step: 1 });
  const listSlot = h('div');
  const progress = h('div', { 'aria-live': 'polite' });
  const filters = () => ({ app: sel.value, from: msOf(from.value), to: msOf(to.value) });
  const form = h('form', { class: 'filters', id: 'failed-filters' },
    field('Application', sel), field('Failed from (UTC)', from), field('Failed to (UTC)', to),
    h('button', { type: 'submit' }, 'Filter'),
    h('button', { type: 'button', class: 'danger', id: 'replay-all', on: { click: replayAll } }, 'Replay all that match'));
  async function load() {
    const page = await api.get('/admin/failed' + query({ ...filters(), limit: 50 }));
    return table(['Task', 'taskNo', 'Application', 'State', 'Due', 'Round'], listRows(page.tasks || [], sel.value));
  }
  async function replayAll() {
    clear(progress);
    try {
      const f = filters();
      const job = await api.post('/admin/failed/replay', {
        app: f.app || undefined, from: f.from ? Number(f.from) : undefined, to: f.to ? Number(f.to) : undefined });
      progress.append(notice('note', `Replaying ${job.matched} tasks…`));
      while (ctx.alive()) {
        const st = await api.get(`/admin/failed/replay/${encodeURIComponent(job.jobId)}`);
        clear(progress);
        progress.append(notice('note', `${st.replayed} of ${st.matched} replayed${st.done ? ' — done' : '…'}`));
        if (st.done) break;
        await new Promise((r) => ctx.timer(r, 1000));
      }
    } catch (e) { progress.append(notice('error', errorText(e))); }
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); fill(listSlot, load); });
  root.append(form, progress, listSlot);
  await fill(listSlot, load);
}

// A task's page: body, attempts as a timeline, cancel / run now / replay.
export async function taskDetail(ctx, { appKey, taskId }) {
  const root = ctx.root;
  const path = `/admin/apps/${encodeURIComponent(appKey)}/tasks/${encodeURIComponent(taskId)}`;
  root.append(h('p', {}, h('a', { href: `#/tasks?app=${encodeURIComponent(appKey)}` }, '← Tasks')));
  const body = h('div');
  const msg = h('div', { class: 'msg' });
  root.append(body, msg);
  const say = (kind, text) => { clear(msg); msg.append(notice(kind, text)); };
  async function act(what, label) {
    try {
      await api.post(`${path}/${what}`);
      await render();
      say('note', label);
    } catch (e) { say('error', errorText(e)); }
  }
  async function render() {
    const t = await api.get(path);
    clear(body);
    const actions = [];
    if (t.state === 'waiting') {
      actions.push(h('button', { type: 'button', on: { click: () => act('publish', 'Running now.') } }, 'Run now'));
      actions.push(h('button', { type: 'button', class: 'danger', on: { click: () => act('cancel', 'Cancelled.') } }, 'Cancel'));
    } else if (t.state === 'failed' || t.state === 'cancelled') {
      actions.push(h('button', { type: 'button', on: { click: () => act('publish', 'Replaying: a new round of attempts.') } }, 'Replay'));
    }
    body.append(
      h('h1', {}, `Task ${t.taskId}`, t.name ? ` — ${t.name}` : ''),
      h('dl', { class: 'props' },
        h('dt', {}, 'State'), h('dd', { class: `state-${t.state}` }, t.state),
        h('dt', {}, 'taskNo'), h('dd', {}, t.taskNo || '—'),
        h('dt', {}, 'Application'), h('dd', {}, h('a', { href: `#/apps/${encodeURIComponent(appKey)}` }, appKey)),
        h('dt', {}, 'Due'), h('dd', {}, `${fmtTime(t.runtimeMs)} (${t.runtime})`),
        h('dt', {}, 'Next run'), h('dd', {}, t.nextRunAt ? `${fmtTime(t.nextRunAt)} (${fmtRel(t.nextRunAt)})` : '—'),
        h('dt', {}, 'Round'), h('dd', {}, String(t.round)),
        h('dt', {}, 'Timeout'), h('dd', {}, `${t.timeout} ms`),
        h('dt', {}, 'Created'), h('dd', {}, fmtTime(t.createdAt)),
        h('dt', {}, 'Finished'), h('dd', {}, fmtTime(t.finishedAt)),
        t.appPaused ? [h('dt', {}, 'Application'), h('dd', { class: 'warn' }, pauseText(t.appPaused))] : null),
      actions.length ? h('p', { class: 'actions' }, actions) : null,
      h('h2', {}, 'Body'),
      h('pre', { class: 'json' }, typeof t.content === 'string' ? t.content : JSON.stringify(t.content, null, 2)),
      h('h2', {}, `Attempts (${t.attempts.length})`),
      t.attempts.length
        ? h('ol', { class: 'timeline' }, t.attempts.map((a) => h('li', { class: `outcome-${a.outcome}` },
          h('p', { class: 'when' }, `#${a.attempt} · ${fmtTime(a.startedAt)} · ${a.durationMs} ms`),
          h('p', {}, h('strong', {}, a.outcome), a.httpStatus ? ` · HTTP ${a.httpStatus}` : ''),
          a.error ? h('p', { class: 'error-text' }, a.error) : null,
          a.response ? h('pre', { class: 'excerpt' }, a.response.slice(0, 500)) : null)))
        : notice('note', 'No attempts yet.'));
  }
  try { await render(); } catch (e) { body.append(notice('error', errorText(e))); }
}
