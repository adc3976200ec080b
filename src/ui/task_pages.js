// The task pages: the task list (GET /admin/tasks), failed deliveries (GET /admin/failed,
// replay one, replay all that match as a server-side job, delete) and one task's page (its
// body, its attempts as a timeline with each failure's reason in words, cancel / run now /
// replay / delete). The filters live in the page's hash (#/tasks?app=...&state=...), so a
// filtered list is a link, Back returns to the previous page, and each page of results is
// the cursor the server gave (keyset pagination: page 1 000 costs what page 1 does).
import * as api from './api.js';
import {
  h, clear, fmtTime, fmtRel, notice, errorText, table, field, pauseText, appKeys, appSelect, fill,
} from './dom.js';

const STATES = ['', 'waiting', 'running', 'success', 'cancelled', 'failed'];
const PAGE = 50;  // tasks a page, unless the hash says limit=N (1-500)

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// datetime-local (read as UTC) <-> unix ms as text ('' for none).
function msOf(v) { return v ? String(Date.parse(v + 'Z')) : ''; }
function localOf(ms) { return ms ? new Date(Number(ms)).toISOString().slice(0, 19) : ''; }

function taskLink(t) {
  return h('a', { href: `#/tasks/${encodeURIComponent(t.appKey)}/${t.taskId}` }, String(t.taskId));
}

function stateCell(t) { return h('td', { class: `state-${t.state}` }, t.state); }

// "First page" and "Next page" links: each page is a hash, so Back goes to the one before.
function pager(base, params, nextCursor) {
  const links = [];
  if (params.cursor) links.push(h('a', { class: 'btn secondary', href: base + query({ ...params, cursor: '' }) }, '« First page'));
  if (nextCursor) links.push(h('a', { class: 'btn', id: 'next-page', href: base + query({ ...params, cursor: nextCursor }) }, 'Next page »'));
  return links.length ? h('p', { class: 'actions pager' }, links) : null;
}

// The filter form of a list: `inputs` are [name, label, element, hint?]; submitting puts
// their values in the hash (a new first page), or runs `again` when the hash would not change.
function filterForm(id, base, inputs, again, extra = []) {
  const form = h('form', { class: 'filters', id },
    inputs.map(([, label, el, hint]) => field(label, el, hint)),
    h('button', { type: 'submit' }, 'Filter'), extra);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = {};
    for (const [name, , el] of inputs) {
      p[name] = el.type === 'datetime-local' ? msOf(el.value) : el.value.trim();
    }
    const hash = base + query(p);
    if (location.hash === hash) again();
    else location.hash = hash;
  });
  return form;
}

// --- Tasks ----------------------------------------------------------------------------------

export async function tasks(ctx, params) {
  const root = ctx.root;
  root.append(h('h1', {}, 'Tasks'));
  let all = [];
  try { all = await appKeys(); } catch (e) { root.append(notice('error', errorText(e))); return; }
  const sel = appSelect(all, params.app || '', 'task-app', 'every application');
  const state = h('select', { name: 'state', id: 'task-state' },
    STATES.map((s) => h('option', { value: s, selected: s === (params.state || '') }, s || 'any state')));
  const prefix = h('input', { name: 'prefix', value: params.prefix || '', autocomplete: 'off', placeholder: 'e.g. order-', spellcheck: 'false' });
  const from = h('input', { name: 'from', type: 'datetime-local', step: 1, value: localOf(params.from) });
  const to = h('input', { name: 'to', type: 'datetime-local', step: 1, value: localOf(params.to) });
  const order = h('select', { name: 'order', id: 'task-order' },
    [['desc', 'latest due first'], ['asc', 'earliest due first']].map(([v, l]) =>
      h('option', { value: v, selected: (params.order || 'desc') === v }, l)));
  const form = filterForm('task-filters', '#/tasks', [
    ['app', 'Application', sel], ['state', 'State', state],
    ['prefix', 'taskNo prefix', prefix, 'needs an application'],
    ['from', 'Due from (UTC)', from], ['to', 'Due before (UTC)', to], ['order', 'Order', order]],
  () => fill(listSlot, load));
  const listSlot = h('div', { class: 'list' }, notice('note', 'Loading…'));

  async function load() {
    const p = { app: params.app, state: params.state, prefix: params.prefix, from: params.from,
      to: params.to, order: params.order, cursor: params.cursor, limit: params.limit || PAGE };
    const page = await api.get('/admin/tasks' + query(p));
    const rows = page.tasks.map((t) => h('tr', { 'data-task': t.taskId },
      h('td', {}, taskLink(t)),
      h('td', { class: 'taskno' }, t.taskNo),
      h('td', {}, h('code', {}, t.appKey)),
      stateCell(t),
      h('td', {}, fmtTime(t.runtimeMs)),
      h('td', {}, t.nextRunAt ? fmtRel(t.nextRunAt) : fmtTime(t.finishedAt)),
      h('td', { class: 'num' }, String(t.round))));
    const n = page.tasks.length;
    const caption = n ? `${n} task${n === 1 ? '' : 's'}${page.nextCursor ? ', more on the next page' : ''}`
      : 'No tasks match';
    return h('div', {},
      table(['Task', 'taskNo', 'Application', 'State', 'Due', 'Next run / finished', 'Attempts'], rows, caption),
      pager('#/tasks', { app: params.app, state: params.state, prefix: params.prefix, from: params.from,
        to: params.to, order: params.order, limit: params.limit, cursor: params.cursor }, page.nextCursor));
  }

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
  await fill(listSlot, load);
}

// --- Failed deliveries ----------------------------------------------------------------------

export async function failed(ctx, params) {
  const root = ctx.root;
  root.append(h('h1', {}, 'Failed deliveries'),
    h('p', { class: 'note' }, 'Tasks whose attempts all failed, latest failure first. Replay sends one ' +
      'again now with a fresh round of retries (its attempts are kept); replay all does that for ' +
      'every failure that matches the filter, on the server, in chunks.'));
  let all = [];
  try { all = await appKeys(); } catch (e) { root.append(notice('error', errorText(e))); return; }
  const sel = appSelect(all, params.app || '', 'failed-app', 'every application');
  const from = h('input', { name: 'from', type: 'datetime-local', step: 1, value: localOf(params.from) });
  const to = h('input', { name: 'to', type: 'datetime-local', step: 1, value: localOf(params.to) });
  const progress = h('div', { id: 'replay-progress', 'aria-live': 'polite' });
  // Focus goes here after a row's button acted (the row is gone), so the keyboard stays put.
  const msg = h('div', { class: 'msg', tabindex: -1 });
  const listSlot = h('div', { class: 'list' }, notice('note', 'Loading…'));
  const form = filterForm('failed-filters', '#/failed',
    [['app', 'Application', sel], ['from', 'Failed from (UTC)', from], ['to', 'Failed before (UTC)', to]],
    () => reload(), [h('button', { type: 'button', class: 'danger', id: 'replay-all', on: { click: replayAll } }, 'Replay all that match')]);
  const say = (kind, text) => { clear(msg); msg.append(notice(kind, text)); };
  const reload = () => fill(listSlot, load);

  async function load() {
    const page = await api.get('/admin/failed' + query({ app: params.app, from: params.from, to: params.to,
      cursor: params.cursor, limit: PAGE }));
    const rows = page.tasks.map((t) => h('tr', { 'data-task': t.taskId },
      h('td', {}, taskLink(t)),
      h('td', { class: 'taskno' }, t.taskNo),
      h('td', {}, h('code', {}, t.appKey)),
      h('td', {}, fmtTime(t.finishedAt)),
      h('td', { class: 'error-text why' }, t.lastError || '—'),
      h('td', { class: 'num' }, String(t.round)),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'replay', on: { click: () => replayOne(t) } }, 'Replay'),
        h('button', { type: 'button', class: 'danger delete', on: { click: () => remove(t) } }, 'Delete'))));
    const n = page.tasks.length;
    return h('div', {},
      table(['Task', 'taskNo', 'Application', 'Failed at', 'Why', 'Attempts', ''], rows,
        n ? `${n} failed task${n === 1 ? '' : 's'}${page.nextCursor ? ', more on the next page' : ''}`
          : 'No failed deliveries match'),
      pager('#/failed', { app: params.app, from: params.from, to: params.to, cursor: params.cursor }, page.nextCursor));
  }
  const taskPath = (t) => `/admin/apps/${encodeURIComponent(t.appKey)}/tasks/${t.taskId}`;
  async function replayOne(t) {
    try {
      await api.post(`${taskPath(t)}/publish`);
      say('note', `Task ${t.taskId}: replaying now.`);
      await reload();
      msg.focus();
    } catch (e) { say('error', errorText(e)); }
  }
  async function remove(t) {
    if (!window.confirm(`Delete task ${t.taskId} (${t.taskNo}) and its attempts?`)) return;
    try {
      await api.del(taskPath(t));
      say('note', `Task ${t.taskId}: deleted.`);
      await reload();
      msg.focus();
    } catch (e) { say('error', errorText(e)); }
  }
  async function replayAll() {
    const what = params.app ? `application ${params.app}` : 'every application';
    if (!window.confirm(`Replay every failed delivery of ${what} that matches the filter?`)) return;
    clear(progress);
    try {
      const body = {};
      if (params.app) body.app = params.app;
      if (params.from) body.from = Number(params.from);
      if (params.to) body.to = Number(params.to);
      let job = await api.post('/admin/failed/replay', body);
      const bar = h('progress', { max: 1, value: 0, 'aria-label': 'replay progress' });
      const line = notice('note', 'Counting…');
      progress.append(h('div', { class: 'card progress' }, h('h2', {}, `Replay job ${job.jobId}`), bar, line));
      while (ctx.alive()) {
        const total = job.total ?? 0;
        bar.max = Math.max(total, 1);
        bar.value = job.done;
        line.textContent = job.total === null ? 'Counting the matching failures…'
          : `${job.done} of ${total} handled: ${job.replayed} replayed, ${job.skipped} skipped (no longer failed)` +
            (job.state === 'running' || job.state === 'queued' ? '…' : ` — ${job.state}`) +
            (job.error ? `: ${job.error}` : '');
        if (job.state !== 'running' && job.state !== 'queued') break;
        await new Promise((r) => ctx.timer(r, 500));
        if (!ctx.alive()) return;
        job = await api.get(`/admin/failed/replay/${encodeURIComponent(job.jobId)}`);
      }
      if (ctx.alive()) await reload();
    } catch (e) { progress.append(notice('error', errorText(e))); }
  }
  root.append(form, progress, msg, listSlot);
  await fill(listSlot, load);
}

// --- One task -------------------------------------------------------------------------------

function attemptItem(a) {
  const failedAttempt = a.outcome !== 'success';
  return h('li', { class: `outcome-${a.outcome}` },
    h('p', { class: 'when' }, `#${a.attempt} · ${fmtTime(a.startedAt)} · ${a.durationMs} ms`),
    h('p', {}, h('strong', {}, a.outcome), a.httpStatus ? ` · HTTP ${a.httpStatus}` : ''),
    failedAttempt && a.error ? h('p', { class: 'error-text why' }, a.error) : null,
    a.response ? h('pre', { class: 'excerpt' }, a.response.slice(0, 500)) : null);
}

// A task's page: body, attempts as a timeline, cancel / run now / replay / delete.
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
  async function remove() {
    if (!window.confirm(`Delete task ${taskId} and its attempts?`)) return;
    try {
      await api.del(path);
      clear(body);
      say('note', `Task ${taskId} deleted.`);
    } catch (e) { say('error', errorText(e)); }
  }
  async function render() {
    const t = await api.get(path);
    clear(body);
    const actions = [];
    if (t.state === 'waiting') {
      actions.push(h('button', { type: 'button', id: 'run-now', on: { click: () => act('publish', 'Running now.') } }, 'Run now'));
      actions.push(h('button', { type: 'button', class: 'danger', id: 'cancel', on: { click: () => act('cancel', 'Cancelled.') } }, 'Cancel'));
    } else if (t.state === 'failed' || t.state === 'cancelled') {
      actions.push(h('button', { type: 'button', id: 'replay', on: { click: () => act('publish', 'Replaying: a new round of attempts.') } }, 'Replay'));
    }
    if (t.state === 'failed' || t.state === 'cancelled' || t.state === 'success') {
      actions.push(h('button', { type: 'button', class: 'danger', id: 'delete', on: { click: remove } }, 'Delete'));
    }
    body.append(
      h('h1', {}, `Task ${t.taskId}`, t.name ? ` — ${t.name}` : ''),
      h('dl', { class: 'props' },
        h('dt', {}, 'State'), h('dd', { class: `state-${t.state}`, id: 'task-state' }, t.state),
        h('dt', {}, 'taskNo'), h('dd', {}, t.taskNo || '—'),
        h('dt', {}, 'Application'), h('dd', {}, h('a', { href: `#/apps/${encodeURIComponent(appKey)}` }, appKey)),
        h('dt', {}, 'Due'), h('dd', {}, `${fmtTime(t.runtimeMs)} (${t.runtime})`),
        h('dt', {}, 'Next run'), h('dd', {}, t.nextRunAt ? `${fmtTime(t.nextRunAt)} (${fmtRel(t.nextRunAt)})` : '—'),
        h('dt', {}, 'Attempts'), h('dd', {}, String(t.round)),
        h('dt', {}, 'Timeout'), h('dd', {}, `${t.timeout} ms`),
        h('dt', {}, 'Created'), h('dd', {}, fmtTime(t.createdAt)),
        h('dt', {}, 'Finished'), h('dd', {}, fmtTime(t.finishedAt)),
        t.appPaused ? [h('dt', {}, 'Application'), h('dd', { class: 'warn' }, pauseText(t.appPaused))] : null),
      actions.length ? h('p', { class: 'actions' }, actions) : null,
      h('h2', {}, 'Body'),
      h('pre', { class: 'json' }, typeof t.content === 'string' ? t.content : JSON.stringify(t.content, null, 2)),
      h('h2', {}, `Attempts (${t.attempts.length})`),
      t.attempts.length ? h('ol', { class: 'timeline' }, t.attempts.map(attemptItem))
        : notice('note', 'No attempts yet.'));
  }
  try { await render(); } catch (e) { body.append(notice('error', errorText(e))); }
}
