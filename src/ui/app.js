// The console's shell: sign-in, hash routing (#/overview, #/apps/KEY, ...), navigation.
import * as api from './api.js';
import * as pages from './pages.js';
import * as taskPages from './task_pages.js';

const routes = [
  [/^#\/overview$/, pages.overview, []],
  [/^#\/apps$/, pages.apps, []],
  [/^#\/apps\/([^/?]+)$/, pages.appDetail, ['appKey']],
  [/^#\/schedules$/, pages.schedules, []],
  [/^#\/schedules\/([^/?]+)$/, pages.schedules, ['appKey']],
  [/^#\/schedules\/([^/?]+)\/([^/?]+)$/, pages.scheduleDetail, ['appKey', 'scheduleId']],
  [/^#\/tasks$/, taskPages.tasks, []],
  [/^#\/tasks\/([^/?]+)\/([^/?]+)$/, taskPages.taskDetail, ['appKey', 'taskId']],
  [/^#\/failed$/, taskPages.failed, []],
];

const $ = (id) => document.getElementById(id);
let generation = 0;   // bumps on every navigation; a page is alive while it matches
let timers = [];

function showLogin(message) {
  $('nav').hidden = true;
  $('page').replaceChildren();
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('token').focus();
}

async function route() {
  const gen = ++generation;
  timers.forEach(clearTimeout);
  timers = [];
  if (!api.token()) return showLogin('');
  $('login').hidden = true;
  $('nav').hidden = false;
  const hash = location.hash || '#/overview';
  const [path, qs] = hash.split('?');
  const params = Object.fromEntries(new URLSearchParams(qs || ''));
  let found = null;
  for (const [re, fn, names] of routes) {
    const m = path.match(re);
    if (m) {
      names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      found = fn;
      break;
    }
  }
  if (!found) {
    location.replace('#/overview');
    return;
  }
  const page = path.split('/')[1];
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = document.createElement('div');
  root.className = `page page-${page}`;
  $('page').replaceChildren(root);
  const ctx = {
    root,
    alive: () => gen === generation,
    timer: (fn, ms) => { if (gen === generation) timers.push(setTimeout(fn, ms)); },
  };
  document.title = `tock · ${page}`;
  await found(ctx, params);
  if (ctx.alive()) {
    root.dataset.hash = hash;  // which route this page rendered (tests wait on both)
    root.dataset.ready = '1';  // for tests and screen readers' focus
    if (document.activeElement === document.body) $('view').focus({ preventScroll: true });
  }
}

async function signIn(ev) {
  ev.preventDefault();
  const t = $('token').value.trim();
  if (!t) return showLogin('Paste the admin token.');
  try {
    await api.call('GET', '/admin/apps', undefined, t);
  } catch (e) {
    if (e.status === 401) {
      return showLogin('That token was refused (401): it is not this server\'s admin token.');
    }
    if (e.status === 429) return showLogin('Too many failed sign-ins from this address: wait a minute.');
    return showLogin(`Cannot sign in: ${e.message}`);
  }
  api.setToken(t);
  $('token').value = '';
  if (!location.hash || location.hash === '#/') location.hash = '#/overview';
  else route();
}

api.whenUnauthorized(() => {
  api.clearToken();
  showLogin('The server refused the admin token (401): sign in again.');
});

$('login-form').addEventListener('submit', signIn);
$('logout').addEventListener('click', () => { api.clearToken(); generation++; showLogin(''); });
window.addEventListener('hashchange', route);
route();
