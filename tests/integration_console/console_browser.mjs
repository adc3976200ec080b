// Drives the console in Debian's chromium (headless) with puppeteer-core, both installed by
// tools/deps.sh --test (apt `chromium`; npm `puppeteer-core` into third_party/node), against
// a running tock that console_browser_test.cc started.
//
//   node console_browser.mjs <case.json>
//   case.json: {"base": "http://127.0.0.1:PORT", "token", "chromium": "/usr/bin/chromium",
//               "screenshots": "<build>/screenshots", "receiver": "http://.../hook",
//               "schedule_app": "<appKey>", "schedule_words": "every 2 weeks on ...",
//               "task_app": "<appKey>", "task_id": N (waiting), "failed_task_id": N}
// The receiver answers 503 to the first attempt of a task whose data has "flaky":true and
// success to every later one (console_browser_test.cc): the issue's flow, a delivery that
// fails, is seen under failed deliveries, and succeeds when replayed.
//
// Prints "chromium_pid <pid>" as soon as the browser runs (the C++ test kills that pid if
// this script dies before closing it), "ok <step>" per step, and "FAIL <step>: <why>" with
// exit code 1 on the first failure. Every wait is on a condition with a generous deadline;
// nothing sleeps for a fixed time.
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(new URL('../../third_party/node/package.json', import.meta.url));
const puppeteer = require('puppeteer-core');

const c = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const WAIT = 60_000;
mkdirSync(c.screenshots, { recursive: true });
rmSync(path.join(c.screenshots, 'failure.png'), { force: true });  // from an earlier run
const profile = mkdtempSync(path.join(os.tmpdir(), 'tock-chromium-'));

let step = 'launch';
let browser;
let page;
let pid = 0;
const cspViolations = [];
const pageErrors = [];

function ok(what) { console.log(`ok ${what}`); }

async function shot(page, name) {
  await page.screenshot({ path: path.join(c.screenshots, `${name}.png`), fullPage: true });
  ok(`screenshot ${name}.png`);
}

// Waits until the page the location's hash names has rendered (the shell marks the page
// it rendered with data-hash and data-ready), optionally once `pred(hash)` holds.
async function rendered(page, pred = '') {
  await page.waitForFunction((p) => {
    const root = document.querySelector('#page > .page');
    return root?.dataset.ready === '1' && root.dataset.hash === location.hash &&
      (!p || location.hash.includes(p));
  }, { timeout: WAIT }, pred);
}

async function open(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await rendered(page, hash);
}

async function textOf(page, selector) {
  return page.$eval(selector, (el) => el.textContent);
}

async function waitText(page, selector, needle) {
  await page.waitForFunction((s, n) => [...document.querySelectorAll(s)]
    .some((el) => el.textContent.includes(n)), { timeout: WAIT }, selector, needle);
}

// A call of tock's API from node (not the page): the issue's "create a task" is an
// application's call, not the console's. Resolves to the parsed body.
async function call(method, path, body, auth) {
  const res = await fetch(`${c.base}${path}`, {
    method, headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}
const admin = () => `Bearer ${c.token}`;

// Polls `fn` (an async predicate on the server's state, not on the page) until it holds:
// deliveries happen in their own time, so a test waits for them, never sleeps on them.
async function until(what, fn) {
  const deadline = Date.now() + WAIT;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Waits until a list slot (dom.js fill) has finished loading.
async function listReady(page) {
  await page.waitForSelector('.list:not([aria-busy])', { timeout: WAIT });
}

async function run() {
  browser = await puppeteer.launch({
    executablePath: c.chromium,
    headless: true,
    userDataDir: profile,
    // root in a container: chromium's sandbox needs user namespaces it may not have.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--disable-extensions', '--disable-background-networking', '--disable-sync',
      '--metrics-recording-only', '--no-default-browser-check', '--mute-audio'],
    protocolTimeout: 120_000,
  });
  pid = browser.process()?.pid ?? 0;
  console.log(`chromium_pid ${pid}`);
  page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  await page.setViewport({ width: 1280, height: 860 });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });

  step = 'open /ui and check its headers';
  const res = await page.goto(`${c.base}/ui`, { waitUntil: 'load' });
  if (!page.url().endsWith('/ui/')) throw new Error(`/ui did not redirect to /ui/: ${page.url()}`);
  const h = res.headers();
  const csp = h['content-security-policy'] || '';
  for (const want of ["default-src 'self'", "frame-ancestors 'none'", "script-src 'self'"]) {
    if (!csp.includes(want)) throw new Error(`CSP lacks ${want}: ${csp}`);
  }
  if (csp.includes('unsafe-inline')) throw new Error(`CSP allows unsafe-inline: ${csp}`);
  if (h['x-frame-options'] !== 'DENY') throw new Error(`X-Frame-Options ${h['x-frame-options']}`);
  if (h['x-content-type-options'] !== 'nosniff') throw new Error('no nosniff');
  if (h['referrer-policy'] !== 'no-referrer') throw new Error('no Referrer-Policy');
  if (!/^"[0-9a-f]{32}"$/.test(h.etag || '')) throw new Error(`ETag ${h.etag}`);
  ok(step);

  step = 'a wrong token is refused';
  await page.waitForSelector('#login:not([hidden])');
  await page.type('#token', 'not-the-admin-token');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#login-error:not([hidden])');
  const refused = await textOf(page, '#login-error');
  if (!/refused \(401\)/.test(refused)) throw new Error(`login error says: ${refused}`);
  if (await page.evaluate(() => sessionStorage.getItem('tock.adminToken'))) {
    throw new Error('a refused token was kept');
  }
  await shot(page, 'login');
  ok(step);

  step = 'sign in';
  await page.$eval('#token', (el) => { el.value = ''; });
  await page.type('#token', c.token);
  await page.keyboard.press('Enter');
  await rendered(page, '#/overview');
  const cookies = await page.cookies();
  if (cookies.length) throw new Error(`cookies set: ${JSON.stringify(cookies)}`);
  if (page.url().includes(c.token)) throw new Error('the token is in the URL');
  ok(step);

  step = 'overview polls the stats';
  // Two samples make the first rates; the page polls every 2 s.
  await page.waitForFunction(() => {
    const tiles = [...document.querySelectorAll('.tile .big')].map((e) => e.textContent);
    // Three samples, so each chart has a line to show.
    const line = document.querySelector('.tile svg path.line')?.getAttribute('d') || '';
    return tiles.length === 6 && tiles[0] !== '—' && line.split('L').length >= 3;
  }, { timeout: WAIT });
  await waitText(page, '.apps-live td', 'running');
  await shot(page, 'overview');
  ok(step);

  step = 'keyboard: reach Applications with Tab and open it with Enter';
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.textContent === 'Applications');
  }
  if (!reached) throw new Error('Tab never reached the Applications link');
  await page.keyboard.press('Enter');
  await rendered(page, '#/apps');
  ok(step);

  step = 'create an application; its keys are revealed once';
  const name = `browser app ${Date.now()}`;
  await page.type('#create-app input[name=appName]', name);
  await page.type('#create-app input[name=linkUrl]', c.receiver);
  await page.$eval('#create-app input[name=retryTotal]', (el) => { el.value = ''; });
  await page.type('#create-app input[name=retryTotal]', '0');  // one failed attempt fails it
  await page.click('#create-app button[type=submit]');
  await page.waitForSelector('.reveal code[data-key=secretKey]');
  const appKey = await textOf(page, '.reveal code[data-key=appKey]');
  const secret = await textOf(page, '.reveal code[data-key=secretKey]');
  if (!/^[A-Za-z0-9]{16,64}$/.test(appKey) || secret.length < 16) {
    throw new Error(`revealed keys look wrong: ${appKey}`);
  }
  await waitText(page, 'td a', name);
  await shot(page, 'apps-reveal');
  await page.click('.reveal button');
  await page.waitForFunction(() => !document.querySelector('.reveal'));
  ok(step);

  step = 'the application is listed, and its page never shows the secret';
  await waitText(page, 'td code', appKey);
  await shot(page, 'apps');
  await open(page, `#/apps/${appKey}`);
  const html = await page.content();
  if (html.includes(secret)) throw new Error('the secret is shown again');
  ok(step);

  step = 'pause and resume the application';
  await page.click('#pause');
  await waitText(page, '#app-state', 'paused');
  await page.waitForSelector('#resume');
  await shot(page, 'app-paused');
  await page.click('#resume');
  await waitText(page, '#app-state', 'running');
  await page.waitForSelector('#pause');
  ok(step);

  step = 'flow-control settings';
  await page.$eval('#flow input[name=parallelism]', (el) => { el.value = ''; });
  await page.type('#flow input[name=parallelism]', '7');
  await page.$eval('#flow input[name=timeZone]', (el) => { el.value = ''; });
  await page.type('#flow input[name=timeZone]', 'Asia/Tokyo');
  await page.click('#flow button[type=submit]');
  await waitText(page, '.msg', 'Saved.');
  const par = await page.$eval('#flow input[name=parallelism]', (el) => el.value);
  if (par !== '7') throw new Error(`parallelism shows ${par} after saving`);
  await page.$eval('#flow input[name=timeZone]', (el) => { el.value = ''; });
  await page.type('#flow input[name=timeZone]', 'Not/AZone');
  await page.click('#flow button[type=submit]');
  await waitText(page, '.msg .error', 'timeZone');
  await shot(page, 'app');
  ok(step);

  step = 'schedules: the trigger in words';
  await open(page, `#/schedules/${c.schedule_app}`);
  await waitText(page, 'td.trigger', c.schedule_words);
  await shot(page, 'schedules');
  await page.click('tr[data-schedule] td.row-actions button.secondary');  // Disable
  await waitText(page, 'tr[data-schedule] td', 'disabled');
  await page.click('tr[data-schedule] td.row-actions button.secondary');  // Enable
  await waitText(page, 'tr[data-schedule] td', 'enabled');
  ok(step);

  step = 'schedule page';
  await page.click('tr[data-schedule] td a');
  await rendered(page, `#/schedules/${c.schedule_app}/`);
  await waitText(page, 'dd.trigger', c.schedule_words);
  await shot(page, 'schedule');
  ok(step);

  step = 'a task that fails: its receiver answers 503';
  const basic = `Basic ${Buffer.from(`${appKey}:${secret}`).toString('base64')}`;
  const created = await call('POST', '/task/create', {
    taskNo: 'flaky-1', content: { flaky: true, order: 1 }, runtime: new Date().toISOString(),
  }, basic);
  const flakyId = created.data.taskId;
  await until('the task to fail', async () =>
    (await call('GET', `/admin/apps/${appKey}/tasks/${flakyId}`, undefined, admin())).data.state === 'failed');
  ok(step);

  step = 'failed deliveries: the task is there, with why';
  await open(page, `#/failed?app=${appKey}`);
  await listReady(page);
  await waitText(page, `tr[data-task="${flakyId}"] td.why`, 'HTTP 503');
  await shot(page, 'failed');
  ok(step);

  step = 'replay it; the receiver now succeeds';
  await page.click(`tr[data-task="${flakyId}"] button.replay`);
  await waitText(page, '.msg', `Task ${flakyId}: replaying now.`);
  await listReady(page);
  await until('the replayed task to succeed', async () =>
    (await call('GET', `/admin/apps/${appKey}/tasks/${flakyId}`, undefined, admin())).data.state === 'success');
  await open(page, `#/tasks/${appKey}/${flakyId}`);
  await waitText(page, '#task-state', 'success');
  const attempts = await page.$$eval('ol.timeline li', (els) => els.map((e) => e.textContent));
  if (attempts.length !== 2 || !attempts[0].includes('HTTP 503') || !attempts[1].includes('success')) {
    throw new Error(`the timeline shows: ${JSON.stringify(attempts)}`);
  }
  await shot(page, 'task-replayed');
  ok(step);

  step = 'filter tasks: application, state, taskNo prefix; pages';
  await open(page, '#/tasks');
  await listReady(page);
  await page.select('#task-app', c.task_app);
  await page.select('#task-state', 'success');
  await page.click('#task-filters button[type=submit]');
  await rendered(page, 'state=success');
  if (!(await page.evaluate(() => location.hash)).includes(`app=${c.task_app}`)) {
    throw new Error('the filter did not keep the application');
  }
  await listReady(page);
  await page.waitForFunction(() => {
    const states = [...document.querySelectorAll('.list tbody td[class^=state-]')].map((e) => e.textContent);
    return states.length === 3 && states.every((s) => s === 'success');
  }, { timeout: WAIT });
  await shot(page, 'tasks');
  await open(page, `#/tasks?app=${appKey}&prefix=flaky-`);
  await listReady(page);
  await waitText(page, '.list td.taskno', 'flaky-1');
  await open(page, `#/tasks?app=${c.task_app}&limit=2`);
  await listReady(page);
  const first = await page.$$eval('.list tbody tr', (rows) => rows.map((r) => r.dataset.task));
  if (first.length !== 2) throw new Error(`a page of 2 shows ${first.length} rows`);
  await page.click('#next-page');
  await rendered(page, 'cursor=');
  await listReady(page);
  const second = await page.$$eval('.list tbody tr', (rows) => rows.map((r) => r.dataset.task));
  if (second.length === 0 || second.some((id) => first.includes(id))) {
    throw new Error(`the second page repeats or is empty: ${first} then ${second}`);
  }
  ok(step);

  step = 'replay all that match, with progress';
  page.once('dialog', (d) => d.accept());
  await open(page, `#/failed?app=${c.task_app}`);
  await listReady(page);
  await waitText(page, `tr[data-task="${c.failed_task_id}"] td.why`, 'HTTP 500');
  await page.click('#replay-all');
  await waitText(page, '#replay-progress', '— done');
  await waitText(page, '#replay-progress', '1 replayed');
  await shot(page, 'failed-replayed');
  ok(step);

  step = 'a task page';
  await open(page, `#/tasks/${c.task_app}/${c.task_id}`);
  await waitText(page, 'h1', `Task ${c.task_id}`);
  await waitText(page, '.props dd', 'waiting');
  await shot(page, 'task');
  await open(page, `#/tasks/${c.task_app}/${c.failed_task_id}`);
  await waitText(page, '.props dd', 'failed');
  await waitText(page, 'ol.timeline li', 'HTTP 500');
  await waitText(page, 'ol.timeline pre.excerpt', 'receiver down for maintenance');
  await page.waitForSelector('.actions button');  // Replay
  await shot(page, 'task-failed');
  ok(step);

  step = 'readable at 360 px';
  await page.setViewport({ width: 360, height: 740, isMobile: true, hasTouch: true });
  for (const [hash, name] of [['#/overview', 'overview'], ['#/apps', 'apps'],
    [`#/apps/${appKey}`, 'app'], [`#/schedules/${c.schedule_app}`, 'schedules'],
    [`#/tasks/${c.task_app}/${c.task_id}`, 'task'], [`#/tasks?app=${c.task_app}`, 'tasks'],
    [`#/failed?app=${c.task_app}`, 'failed']]) {
    await open(page, hash);
    if (name === 'overview') {  // two samples: the rates
      await page.waitForFunction(() => document.querySelectorAll('.tile').length === 6 &&
        document.querySelector('.tile .big').textContent !== '—');
    }
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 362) throw new Error(`${hash} is ${width} px wide at 360`);
    await shot(page, `${name}-360`);
  }
  ok(step);

  step = 'log out';
  await page.setViewport({ width: 1280, height: 860 });
  await page.click('#logout');
  await page.waitForSelector('#login:not([hidden])');
  if (await page.evaluate(() => sessionStorage.getItem('tock.adminToken'))) {
    throw new Error('the token outlived the log-out');
  }
  ok(step);

  step = 'no CSP violations, no script errors';
  if (cspViolations.length) throw new Error(cspViolations.join('\n'));
  if (pageErrors.length) throw new Error(pageErrors.join('\n'));
  ok(step);
}

// Closes the browser and makes sure its process is gone (by its pid, never by name).
async function stopBrowser() {
  if (browser) {
    try { await browser.close(); } catch (e) { console.log(`browser.close: ${e.message}`); }
  }
  if (pid > 0) {
    const deadline = Date.now() + 30_000;
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    console.log(`chromium_stopped ${pid}`);
  }
  rmSync(profile, { recursive: true, force: true });
}

let code = 0;
try {
  await run();
  console.log('ok all');
} catch (e) {
  console.log(`FAIL ${step}: ${e && e.stack || e}`);
  code = 1;
  if (page) {  // what the page showed when it failed
    try {
      await page.screenshot({ path: path.join(c.screenshots, 'failure.png'), fullPage: true });
      console.log(`page at failure: ${page.url()} (failure.png)\n` +
        (await page.evaluate(() => document.getElementById('view')?.innerText || '')).slice(0, 2000));
    } catch (e2) { console.log(`no failure screenshot: ${e2.message}`); }
  }
}
await stopBrowser();
process.exit(code);
