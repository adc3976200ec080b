// The console's DOM helpers and formatting, shared by the page modules (pages.js,
// task_pages.js). Every text from the server goes in with textContent (h() below), never as
// HTML; no inline styles or handlers (the CSP forbids them).
import * as api from './api.js';

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

export function clear(el) { while (el.firstChild) el.firstChild.remove(); }

export function fmtTime(ms) {
  if (ms === null || ms === undefined || ms <= 0) return '—';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function fmtRel(ms, now = Date.now()) {
  if (!ms) return '';
  const d = Math.round((ms - now) / 1000);
  const a = Math.abs(d);
  const t = a < 90 ? `${a} s` : a < 5400 ? `${Math.round(a / 60)} min` :
    a < 172800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} days`;
  return d >= 0 ? `in ${t}` : `${t} ago`;
}

export function fmtNum(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 100 ? String(Math.round(v)) : v.toFixed(digits);
}

export function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}

// A status line under a form or table: role=status (polite) or alert (errors).
export function notice(kind, text) {
  return h('p', { class: kind === 'error' ? 'error' : 'note', role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function errorText(e) {
  if (e instanceof api.ApiError) {
    return e.status ? `${e.message} (HTTP ${e.status})` : e.message;
  }
  return String(e && e.message || e);
}

export function table(headers, rows, caption) {
  return h('div', { class: 'table-wrap' },
    h('table', {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
}

export function field(label, input, hint) {
  const id = input.id || ('f-' + Math.random().toString(36).slice(2, 9));
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint ? h('small', {}, hint) : null);
}

export function pauseText(p) {
  if (!p) return 'running';
  return p.kind === 'auto' ? `auto-paused: ${p.reason}` : `paused: ${p.reason}`;
}

export async function appKeys() {
  const data = await api.get('/admin/apps');
  return data.apps || [];
}

// A <select> of the applications; the empty choice says `none` (what no choice means).
export function appSelect(apps, selected, id, none = '— choose an application —') {
  return h('select', { id, name: 'app' },
    h('option', { value: '' }, none),
    apps.map((a) => h('option', { value: a.appKey, selected: a.appKey === selected },
      a.appName ? `${a.appName} (${a.appKey})` : a.appKey)));
}

// Replaces the content of `slot` with the result of an async render, or its error;
// aria-busy marks it while that runs (for screen readers, and tests waiting on it).
export async function fill(slot, fn) {
  slot.setAttribute('aria-busy', 'true');
  try {
    const node = await fn();
    clear(slot);
    if (node) slot.append(node);
  } catch (e) {
    clear(slot);
    slot.append(notice('error', errorText(e)));
  } finally {
    slot.removeAttribute('aria-busy');
  }
}

