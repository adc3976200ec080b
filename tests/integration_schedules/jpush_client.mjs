// Drives JPush's official Node.js client (npm `jpush-sdk`, installed by tools/deps.sh --test
// into third_party/node) against a running tock, unchanged but for the one constant that
// holds its host: `SCHEDULE_API_URL` in lib/JPush/JPush.js, which has no option. A user edits
// that line in node_modules (README, "Migrating from EngageLab or JPush"); this script makes
// the same one-line substitution in memory when it loads the module, so the installed copy
// (shared between checkouts) is never modified.
//
//   node jpush_client.mjs <case.json>
//   case.json: {"api": "http://127.0.0.1:9502/v3/schedules", "app_key", "master_secret",
//               "code_base": 8000 | 28000, "server_zone", "app_zone",
//               "times": {"single", "terminal", "moved", "start", "end", "fire"},
//               "expect": {"single_ms", "terminal_ms", "moved_ms"}}
//   Every time is a local "yyyy-mm-dd hh:mm:ss"; the *_ms are the instants tock must read
//   them as (single and moved in the server's zone, terminal in the application's).
//
// Every client call is made, its answer checked, and one line printed: "ok <call>: <what>".
// The last line is "fire_schedule_id <id>": a schedule created without zone_type at
// times.fire, whose delivery the C++ test waits for. Exits 1 with "FAIL <call>: <why>" on the
// first wrong answer, 2 on a usage error.
import { createRequire, Module } from 'node:module';
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

if (process.argv.length !== 3) {
  console.error('usage: node jpush_client.mjs <case.json>');
  process.exit(2);
}
const c = JSON.parse(readFileSync(process.argv[2], 'utf8'));

// --- the client, with its host constant pointed at tock -----------------------------------
const clientDir = fileURLToPath(
  new URL('../../third_party/node/node_modules/jpush-sdk/', import.meta.url));
// The module cache is keyed by real paths (third_party may be a symlink).
const clientFile = realpathSync(path.join(clientDir, 'lib/JPush/JPush.js'));
const constant = "var SCHEDULE_API_URL = 'https://api.jpush.cn/v3/schedules'";
const source = readFileSync(clientFile, 'utf8');
if (source.split(constant).length !== 2) {
  console.log(`FAIL load: ${clientFile} no longer holds exactly one "${constant}"`);
  process.exit(1);
}
const patched = new Module(clientFile, null);
patched.filename = clientFile;
patched.paths = Module._nodeModulePaths(path.dirname(clientFile));
patched._compile(source.replace(constant, `var SCHEDULE_API_URL = ${JSON.stringify(c.api)}`),
                 clientFile);
patched.loaded = true;
require.cache[clientFile] = patched;
const JPush = require(clientDir);  // its index.js requires lib/JPush/JPush.js: the copy above

// --- checks ----------------------------------------------------------------------------------
function fail(call, why) {
  console.log(`FAIL ${call}: ${why}`);
  process.exit(1);
}
function expect(call, cond, why) {
  if (!cond) fail(call, why);
}
function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// The client's callback API as a promise: [err, res].
function call(fn) {
  return new Promise((resolve) => fn((err, res) => resolve([err, res])));
}

// A JPush-style push payload; the client validates it before sending.
function payload(client, alert) {
  return client.push().setPlatform(JPush.ALL).setAudience(JPush.ALL).setNotification(alert);
}

// An APIRequestError with this HTTP status and error code.
function expectError(name, err, res, httpCode, codeOffset) {
  expect(name, err instanceof JPush.APIRequestError,
         `expected an APIRequestError, got ${err ? err.name + ': ' + err.message : JSON.stringify(res)}`);
  expect(name, err.httpCode === httpCode, `HTTP ${err.httpCode}, expected ${httpCode}`);
  const body = JSON.parse(err.response);
  expect(name, body.error.code === c.code_base + codeOffset,
         `code ${body.error.code}, expected ${c.code_base + codeOffset}: ${err.response}`);
  return body.error;
}

async function getSchedule(client, name, id) {
  const [err, res] = await call((cb) => client.getSchedule(id, cb));
  expect(name, !err, err && err.message);
  expect(name, res.schedule_id === id, JSON.stringify(res));
  return res;
}

// msg_ids: the client has no call for it (jpush-sdk 3.5.0 none; jpush-async defines one but
// never attaches it), so it is read as JPush's Java client reads it, with the same Basic auth.
async function msgIds(id) {
  const auth = Buffer.from(`${c.app_key}:${c.master_secret}`).toString('base64');
  const r = await fetch(`${c.api}/${id}/msg_ids`, { headers: { Authorization: `Basic ${auth}` } });
  return [r.status, await r.json()];
}

async function main() {
  const client = JPush.buildClient(c.app_key, c.master_secret);
  const t = c.times;

  // 1. single, without zone_type (the client's builder has none): the server's zone.
  let [err, res] = await call((cb) => payload(client, 'single, no zone_type')
    .setSingleSchedule(t.single).setSchedule('single_no_zone_type', true, cb));
  expect('setSchedule single', !err, err && err.message);
  expect('setSchedule single', res.name === 'single_no_zone_type' && res.schedule_id.length === 36,
         JSON.stringify(res));
  const single = res.schedule_id;
  let got = await getSchedule(client, 'getSchedule single', single);
  expect('getSchedule single', got.next_fire === c.expect.single_ms && got.time_zone === c.server_zone,
         `next_fire ${got.next_fire} in ${got.time_zone}, expected ${c.expect.single_ms} in ${c.server_zone}`);
  expect('getSchedule single', same(got.trigger, { single: { time: t.single } }),
         `trigger not as sent: ${JSON.stringify(got.trigger)}`);
  console.log(`ok setSchedule single (no zone_type): ${single}, fires ${t.single} ${c.server_zone}`);

  // 2. single with zone_type 2 and no time_zone (set on the client's trigger object before
  // sending; its builder has no parameter for it): the application's zone.
  const p2 = payload(client, 'single, zone_type 2').setSingleSchedule(t.terminal);
  p2.trigger.single.zone_type = 2;
  [err, res] = await call((cb) => p2.setSchedule('single_terminal_zone', true, cb));
  expect('setSchedule single zone_type 2', !err, err && err.message);
  const terminal = res.schedule_id;
  got = await getSchedule(client, 'getSchedule terminal', terminal);
  expect('getSchedule terminal', got.next_fire === c.expect.terminal_ms && got.time_zone === c.app_zone,
         `next_fire ${got.next_fire} in ${got.time_zone}, expected ${c.expect.terminal_ms} in ${c.app_zone}`);
  console.log(`ok setSchedule single (zone_type 2): ${terminal}, fires ${t.terminal} ${c.app_zone}`);

  // 3. periodical without zone_type, time_unit as JPush's example writes it.
  [err, res] = await call((cb) => payload(client, 'periodical')
    .setPeriodicalSchedule(t.start, t.end, '12:00:00', 'WEEK', 1, ['MON', 'fri'])
    .setSchedule('periodical_weekly', true, cb));
  expect('setSchedule periodical', !err, err && err.message);
  const periodical = res.schedule_id;
  got = await getSchedule(client, 'getSchedule periodical', periodical);
  expect('getSchedule periodical',
         got.trigger.periodical.time_unit === 'WEEK' && same(got.trigger.periodical.point, ['MON', 'fri']),
         `not echoed as sent: ${JSON.stringify(got.trigger)}`);
  console.log(`ok setSchedule periodical (no zone_type): ${periodical}, echoes time_unit WEEK`);

  // 4. periodical with zone_type 1.
  const p4 = payload(client, 'periodical, zone_type 1')
    .setPeriodicalSchedule(t.start, t.end, '08:30:00', 'day', 2, null);
  p4.trigger.periodical.zone_type = 1;
  [err, res] = await call((cb) => p4.setSchedule('periodical_zone_type_1', true, cb));
  expect('setSchedule periodical zone_type 1', !err, err && err.message);
  const periodical1 = res.schedule_id;
  console.log(`ok setSchedule periodical (zone_type 1, point null): ${periodical1}`);

  // 5. A create tock refuses: the client shows the surface's error.
  [err, res] = await call((cb) => payload(client, 'bad name')
    .setSingleSchedule(t.single).setSchedule('no!', true, cb));
  let e = expectError('setSchedule bad name', err, res, 400, 100);
  console.log(`ok setSchedule bad name: 400 ${c.code_base + 100} "${e.message}"`);

  // 6. The list (the client asks ?page=N).
  [err, res] = await call((cb) => client.getScheduleList(1, cb));
  expect('getScheduleList', !err, err && err.message);
  const listed = res.schedules.map((s) => s.schedule_id);
  for (const id of [single, terminal, periodical, periodical1]) {
    expect('getScheduleList', listed.includes(id), `${id} missing from ${JSON.stringify(listed)}`);
  }
  expect('getScheduleList', res.page === 1 && res.total_count >= 4, JSON.stringify(res).slice(0, 300));
  console.log(`ok getScheduleList(1): total_count ${res.total_count}, ${res.schedules.length} on page 1`);

  // 7. Update: a new time and name, then disable, then a zone_type change (refused). The
  // payload builder's updateSchedule throws in jpush-sdk 3.5.0 before sending anything (its
  // util module lacks isEmptyObject); the client's own updateSchedule(id, body) works.
  try {
    client.push().setSingleSchedule(t.moved).updateSchedule(single, 'single_renamed', null, () => {});
    console.log('note push().updateSchedule: no longer throws; the client was fixed');
  } catch (thrown) {
    console.log(`note push().updateSchedule: ${thrown.name}: ${thrown.message} (client bug, nothing sent)`);
  }
  const update = (body) => call((cb) => client.updateSchedule(single, JSON.stringify(body), cb));
  [err, res] = await update({ name: 'single_renamed', trigger: { single: { time: t.moved } } });
  expect('updateSchedule trigger+name', !err, err && err.message);
  expect('updateSchedule trigger+name',
         res.name === 'single_renamed' && res.next_fire === c.expect.moved_ms,
         JSON.stringify(res));
  console.log(`ok updateSchedule(name, trigger): next_fire ${res.next_fire}`);
  [err, res] = await update({ enabled: false });
  expect('updateSchedule enabled', !err && res.enabled === false && res.next_fire === null,
         err ? err.message : JSON.stringify(res));
  console.log('ok updateSchedule(enabled false): next_fire null');
  [err, res] = await update({ trigger: { single: { time: t.moved, zone_type: 2 } } });
  e = expectError('updateSchedule zone_type 1 -> 2', err, res, 400, 100);
  expect('updateSchedule zone_type 1 -> 2', e.message.includes('zone_type'), e.message);
  console.log(`ok updateSchedule zone_type 1 -> 2: 400 ${c.code_base + 100} refused`);

  // 8. msg_ids (no client call; see msgIds above).
  const [status, ids] = await msgIds(periodical);
  expect('msg_ids', status === 200 && ids.count === 0 && same(ids.msgids, []) && same(ids.msg_ids, []),
         `${status} ${JSON.stringify(ids)}`);
  console.log(`ok GET msg_ids (not in the client): ${JSON.stringify(ids)}`);

  // 9. Delete (the client reports 200 for the empty body), then the schedule is gone.
  for (const id of [single, terminal, periodical, periodical1]) {
    [err, res] = await call((cb) => client.delSchedule(id, cb));
    expect('delSchedule', !err && res === 200, err ? err.message : JSON.stringify(res));
  }
  console.log('ok delSchedule x4: 200, empty body');
  [err, res] = await call((cb) => client.getSchedule(single, cb));
  e = expectError('getSchedule deleted', err, res, 404, 104);
  console.log(`ok getSchedule deleted: 404 ${c.code_base + 104} "${e.message}"`);

  // 10. The schedule whose delivery the C++ test waits for: no zone_type, server-zone time.
  [err, res] = await call((cb) => payload(client, 'fires at the server zone time')
    .setSingleSchedule(t.fire).setSchedule('fires_at_server_zone', true, cb));
  expect('setSchedule fire', !err, err && err.message);
  console.log(`ok setSchedule fire: ${t.fire} ${c.server_zone}`);
  console.log(`fire_schedule_id ${res.schedule_id}`);
}

main().catch((e) => fail('script', e.stack || String(e)));
