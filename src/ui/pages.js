// The console's pages: overview, applications, schedules (the task pages are in
// task_pages.js). Each page is a function (ctx, params) that fills ctx.root; ctx.alive()
// turns false once the user has gone to another page (polling stops then).
import * as api from './api.js';
import { sparkline } from './charts.js';
import {
  h, clear, fmtTime, fmtRel, fmtNum, fmtSeconds, notice, errorText, table, field, pauseText,
  appKeys, appSelect, fill,
} from './dom.js';
import { triggerInWords, triggerWindow } from './trigger_words.js';

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
      // Per application: rates over the last sample, from its counters since start.
      const before = new Map((prev ? prev.apps : []).map((a) => [a.appKey, a]));
      const perSecond = (a, key) => {
        const b = before.get(a.appKey);
        if (!b || !prev || s.now <= prev.now) return null;
        return Math.max(0, (a[key] ?? 0) - (b[key] ?? 0)) / ((s.now - prev.now) / 1000);
      };
      clear(apps);
      apps.append(table(['Application', 'State', 'Deliveries / s', 'Failures / s', 'In flight',
        'Queued', 'Window', 'Failures in a row'],
        s.apps.map((a) => h('tr', {},
          h('td', {}, h('a', { href: `#/apps/${encodeURIComponent(a.appKey)}` }, a.name || a.appKey)),
          h('td', { class: a.paused ? 'warn' : '' }, pauseText(a.paused)),
          h('td', { class: 'num' }, fmtNum(perSecond(a, 'attempts'))),
          h('td', { class: 'num' }, fmtNum(perSecond(a, 'failedAttempts'))),
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
  const retries = h('input', { name: 'retryTotal', type: 'number', min: 0, max: 10, step: 1, value: 5 });
  const step = h('input', { name: 'step', type: 'number', min: 0, max: 3600, step: 1, value: 5 });
  const form = h('form', { class: 'card', id: 'create-app' },
    h('h2', {}, 'Create an application'),
    field('Name', name),
    field('Callback URL', link),
    field('App key (optional)', key, '16–64 letters and digits, to keep a key you already use'),
    field('Retries', retries, 'attempts after a failed one, per round (0–10)'),
    field('Seconds between retries', step, 'retry k waits k times this, at most an hour (0–3600)'),
    msg,
    h('button', { type: 'submit' }, 'Create'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(msg);
    const body = { appName: name.value.trim(), linkUrl: link.value.trim(),
      retryTotal: Number(retries.value || 0), step: Number(step.value || 0) };
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
