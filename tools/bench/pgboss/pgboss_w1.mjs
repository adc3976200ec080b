// W1 for pg-boss: the pg-boss half of issue 12's side-by-side comparison (tock on PostgreSQL
// vs pg-boss on the same PostgreSQL). Run through tools/bench/pgboss/run.sh, which installs the
// pinned pg-boss and starts a throw-away PostgreSQL 15; by hand:
//   NODE_PATH=build/bench-node/node_modules node tools/bench/pgboss/pgboss_w1.mjs \
//     --url postgresql://... [--tasks N] [--workers W] [--batch-size B] [--procs P] ...
//
// How it matches tock's W1 (tools/bench/workloads.cc RunW1):
// - N jobs (default 100 000), all due at one moment: pg-boss's `startAfter` = a whole second
//   `offset` ahead of the end of a calibration, as tock's W1 computes it (offset = estimated
//   enqueue time × 1.3 + 3 s, from 1 000 single sends and 4 inserts of 1 000 due in a day,
//   which stay in the queue, as tock's calibration tasks do).
// - Half enqueued one per call (`boss.send`), 64 calls in flight (tock's driver: 64 keep-alive
//   connections, one request in flight each), half with `boss.insert` of 1 000 jobs per call,
//   also up to 64 in flight. Each job's data is {i, scheduledAt}; pg-boss commits each call
//   before it resolves (PostgreSQL's defaults: fsync and synchronous_commit on), as tock
//   syncs each create before its 200. The enqueue pool holds 64 PostgreSQL connections so
//   64 calls are really in flight (pg-boss's default pool of 10 would queue them in node).
// - Delivery: `boss.work()` workers (P processes × W workers each, each fetching up to B
//   jobs per poll, polling every `--poll` s, 0.5 s being pg-boss's minimum). The handler
//   POSTs each fetched job's data to the receiver over keep-alive HTTP/1.1 with Standard
//   Webhooks headers (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256, what
//   tock sends), all of a batch at once, and returns when every answer is a 200 `success`;
//   pg-boss then completes the batch (one UPDATE). Any other answer throws: pg-boss fails the
//   batch and retries it (its default retryLimit 2), so a retried batch shows as duplicates.
//   The workers run before the enqueue starts (their polls find nothing due), as tock's
//   dispatcher runs while tasks are created.
// - The receiver is a separate node process (tock's bench: a separate epoll thread): a plain
//   `http` server with keep-alive answering 200 `success`, recording per job i its first
//   arrival (wall clock, sub-ms) and its hits.
// - Figures, computed as RunW1 does: enqueue_single and enqueue_batch (jobs / wall time of
//   the phase); deliver = delivered / (latest first arrival − due time); lateness of each
//   job's first arrival against its scheduledAt (p50, p99, max); lost = N − distinct jobs
//   arrived (waiting until all came, nothing new for 30 s, or due + 60 s + N/1000 s), then
//   2 s more for late duplicates; dup = arrivals beyond the first.
// - Differences that the designs impose: pg-boss has no HTTP API, so enqueue is a library
//   call into PostgreSQL from the bench process (no HTTP request parsing, no auth) where
//   tock's W1 enqueues over HTTP; and pg-boss's workers are node processes beside PostgreSQL
//   (the bench's processes and PostgreSQL share the machine's cores as tock and its driver do).
//
// Prints progress on stderr (with --verbose) and one JSON line on stdout.

import { fork } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);
const QUEUE = 'w1';

function nowMs() { return performance.timeOrigin + performance.now(); }
function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function parseArgs(argv) {
  const o = {
    role: 'main', url: process.env.PGBOSS_URL || '', tasks: 100000, singleShare: 0.5,
    batch: 1000, clients: 64, workers: 4, batchSize: 1000, procs: 1, poll: 0.5,
    pool: 0, enqueuePool: 0, offset: 0, pgPid: 0, verbose: false, rxPort: 0, secret: '',
  };
  for (let k = 0; k < argv.length; ++k) {
    const a = argv[k];
    const v = () => argv[++k];
    switch (a) {
      case '--role': o.role = v(); break;
      case '--url': o.url = v(); break;
      case '--tasks': o.tasks = parseInt(v(), 10); break;
      case '--single-share': o.singleShare = parseFloat(v()); break;
      case '--batch': o.batch = parseInt(v(), 10); break;
      case '--clients': o.clients = parseInt(v(), 10); break;
      case '--workers': o.workers = parseInt(v(), 10); break;
      case '--batch-size': o.batchSize = parseInt(v(), 10); break;
      case '--procs': o.procs = parseInt(v(), 10); break;
      case '--poll': o.poll = parseFloat(v()); break;
      case '--pool': o.pool = parseInt(v(), 10); break;
      case '--enqueue-pool': o.enqueuePool = parseInt(v(), 10); break;
      case '--offset': o.offset = parseFloat(v()); break;
      case '--pg-pid': o.pgPid = parseInt(v(), 10); break;
      case '--rx-port': o.rxPort = parseInt(v(), 10); break;
      case '--secret': o.secret = v(); break;
      case '--verbose': case '-v': o.verbose = true; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
function progress(...a) { if (opts.verbose) console.error('#', ...a); }

// ---------------------------------------------------------------- receiver (child process)
async function runReceiver() {
  let n = 0, first = null, sched = null, hits = null;
  let distinct = 0, unknown = 0, arrivals = 0;
  const reset = (size) => {
    n = size; first = new Float64Array(n); sched = new Float64Array(n); hits = new Uint32Array(n);
    distinct = 0; unknown = 0; arrivals = 0;
  };
  reset(0);
  const server = http.createServer({ keepAliveTimeout: 60000 }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = nowMs();
      ++arrivals;
      let i = -1, s = 0;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        i = body.data.i; s = body.data.scheduledAt;
      } catch { /* counted as unknown */ }
      if (Number.isInteger(i) && i >= 0 && i < n) {
        if (hits[i]++ === 0) { first[i] = at; sched[i] = s; ++distinct; }
      } else {
        ++unknown;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 7 });
      res.end('success');
    });
  });
  server.keepAliveTimeout = 60000;
  server.headersTimeout = 65000;
  server.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port }));
  process.on('message', (m) => {
    if (m.type === 'reset') { reset(m.n); process.send({ type: 'reset-done' }); }
    else if (m.type === 'count') process.send({ type: 'count', distinct, arrivals, unknown });
    else if (m.type === 'cpu') process.send({ type: 'cpu', s: cpuSeconds() });
    else if (m.type === 'dump') {
      process.send({ type: 'dump', first: Array.from(first), sched: Array.from(sched),
                     hits: Array.from(hits), unknown, arrivals });
    } else if (m.type === 'exit') { server.close(); process.exit(0); }
  });
}

// ---------------------------------------------------------------- workers (child processes)
async function runWorkers() {
  const { PgBoss } = loadPgBoss();
  const boss = new PgBoss({
    connectionString: opts.url, max: opts.pool > 0 ? opts.pool : Math.max(10, opts.workers + 2),
    migrate: false, supervise: false, schedule: false,
  });
  boss.on('error', (e) => console.error('pg-boss worker error:', e.message));
  await boss.start();
  // Keep-alive, up to one connection per job in flight (at most 1000, tock's default window).
  const agent = new http.Agent({ keepAlive: true, maxSockets: Math.min(1000, opts.workers * opts.batchSize) });
  const secretBytes = Buffer.from(opts.secret, 'base64');
  const post = (job) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ id: job.id, data: job.data });
    const ts = Math.floor(Date.now() / 1000);
    const sig = 'v1,' + createHmac('sha256', secretBytes).update(`${job.id}.${ts}.${body}`).digest('base64');
    const req = http.request({
      host: '127.0.0.1', port: opts.rxPort, method: 'POST', path: '/hook', agent,
      headers: {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        'webhook-id': job.id, 'webhook-timestamp': String(ts), 'webhook-signature': sig,
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        if (res.statusCode === 200 && text.includes('success')) resolve();
        else reject(new Error(`callback answered ${res.statusCode} ${text.slice(0, 100)}`));
      });
    });
    req.setTimeout(30000, () => req.destroy(new Error('callback timed out')));
    req.on('error', reject);
    req.end(body);
  });
  const options = { batchSize: opts.batchSize, pollingIntervalSeconds: opts.poll };
  for (let w = 0; w < opts.workers; ++w) {
    await boss.work(QUEUE, options, async (jobs) => { await Promise.all(jobs.map(post)); });
  }
  process.send({ type: 'ready' });
  process.on('message', async (m) => {
    if (m.type === 'cpu') process.send({ type: 'cpu', s: cpuSeconds() });
    if (m.type === 'exit') {
      await boss.stop({ graceful: true, wait: true, timeout: 10000 }).catch(() => {});
      agent.destroy();
      process.exit(0);
    }
  });
}

function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// CPU seconds of PostgreSQL: the postmaster with its reaped children, and its live children.
function pgCpuSeconds(pid) {
  if (!pid) return 0;
  const fields = (p) => {
    try {
      const t = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      return t.slice(t.lastIndexOf(')') + 2).split(' ');  // fields from the 3rd (state) on
    } catch { return null; }
  };
  const tick = 100;  // USER_HZ
  const own = fields(pid);
  if (!own) return 0;
  let ticks = +own[11] + +own[12] + +own[13] + +own[14];  // utime stime cutime cstime
  for (const e of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    const f = fields(e);
    if (f && +f[1] === pid) ticks += +f[11] + +f[12];
  }
  return ticks / tick;
}

function loadPgBoss() {
  const mod = require('pg-boss');
  return { PgBoss: mod.PgBoss || mod.default || mod };
}

// ---------------------------------------------------------------- main
function child(role, extra) {
  const args = ['--role', role, '--url', opts.url, ...extra];
  const c = fork(SELF, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = [];
  c.on('message', (m) => {
    const k = waiters.findIndex((w) => w.type === m.type);
    if (k >= 0) waiters.splice(k, 1)[0].resolve(m);
  });
  c.ask = (msg, type) => new Promise((resolve) => {
    waiters.push({ type, resolve });
    if (msg) c.send(msg);
  });
  return c;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
  return sorted[rank];
}

// `lanes` loops each taking the next item until none is left: `lanes` calls in flight.
async function phase(begin, end, step, lanes, call) {
  let next = begin, created = 0, errors = 0, firstError = '';
  const t0 = performance.now();
  const lane = async () => {
    while (next < end) {
      const a = next, b = Math.min(end, next + step);
      next = b;
      try { await call(a, b); created += b - a; } catch (e) {
        ++errors; if (!firstError) firstError = String(e.message || e);
        if (errors > 200) return;
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const seconds = (performance.now() - t0) / 1000;
  return { created, errors, firstError, seconds, rate: seconds > 0 ? created / seconds : 0 };
}

async function main() {
  if (!opts.url) throw new Error('--url postgresql://... (or PGBOSS_URL) is required');
  const { PgBoss } = loadPgBoss();
  const pgbossVersion = require('pg-boss/package.json').version;
  const n = opts.tasks;
  const nSingle = Math.min(n, Math.max(0, Math.round(n * opts.singleShare)));
  const r = { workload: 'W1-pgboss', pgboss: pgbossVersion, node: process.version,
              tasks: n, workers: opts.workers, batch_size: opts.batchSize, procs: opts.procs,
              poll_s: opts.poll, loadavg1: Number(os.loadavg()[0].toFixed(2)) };

  // A fresh pg-boss schema each run.
  const pg = require('pg');
  const admin = new pg.Client({ connectionString: opts.url });
  await admin.connect();
  await admin.query('DROP SCHEMA IF EXISTS pgboss CASCADE');
  r.postgres = (await admin.query('SHOW server_version')).rows[0].server_version;
  await admin.end();

  const enqueuePool = opts.enqueuePool > 0 ? opts.enqueuePool : opts.clients;
  r.enqueue_pool = enqueuePool;
  const boss = new PgBoss({ connectionString: opts.url, max: enqueuePool });
  boss.on('error', (e) => console.error('pg-boss error:', e.message));
  await boss.start();
  await boss.createQueue(QUEUE);

  const rx = child('receiver', []);
  const { port } = await rx.ask(null, 'listening');
  await rx.ask({ type: 'reset', n }, 'reset-done');
  const secret = randomBytes(32).toString('base64');
  const workers = [];
  for (let p = 0; p < opts.procs; ++p) {
    const w = child('worker', ['--workers', String(opts.workers), '--batch-size',
      String(opts.batchSize), '--poll', String(opts.poll), '--rx-port', String(port),
      '--secret', secret, ...(opts.pool > 0 ? ['--pool', String(opts.pool)] : [])]);
    workers.push(w);
  }
  await Promise.all(workers.map((w) => w.ask(null, 'ready')));
  progress(`receiver on ${port}; ${opts.procs} worker process(es) × ${opts.workers} workers, batchSize ${opts.batchSize}`);

  const send = (due) => (a) => boss.send(QUEUE, { i: a, scheduledAt: due }, { startAfter: new Date(due) });
  const insert = (due) => (a, b) => {
    const startAfter = new Date(due).toISOString();
    const jobs = [];
    for (let i = a; i < b; ++i) jobs.push({ name: QUEUE, data: { i, scheduledAt: due }, startAfter });
    return boss.insert(jobs);
  };
  const check = (e, expected, what) => {
    if (e.errors || e.created !== expected) {
      throw new Error(`${what}: created ${e.created}/${expected}, ${e.errors} errors; first: ${e.firstError}`);
    }
  };

  // Open every pool connection first, as RunW1's WarmUp opens its 64 keep-alive connections
  // (else the calibration pays for 64 connects and sets a needlessly long offset).
  await Promise.all(Array.from({ length: enqueuePool }, () => boss.getDb().executeSql('SELECT 1')));

  // Calibration, as RunW1: 1000 single and 4 batches due in a day (i beyond the receiver's
  // slots, should any ever arrive).
  let offset = opts.offset;
  if (offset <= 0) {
    const far = Date.now() + 86400000;
    const cs = await phase(n, n + 1000, 1, opts.clients, send(far));
    check(cs, 1000, 'calibration single');
    const cb = await phase(n + 1000, n + 1000 + 4 * opts.batch, opts.batch, 4, insert(far));
    check(cb, 4 * opts.batch, 'calibration batch');
    const est = nSingle / Math.max(1, cs.rate) + (n - nSingle) / Math.max(1, cb.rate);
    offset = est * 1.3 + 3;
    r.calib_single = Math.round(cs.rate);
    r.calib_batch = Math.round(cb.rate);
  }
  const due = Math.ceil((Date.now() + offset * 1000) / 1000) * 1000;
  r.offset_s = Number(((due - Date.now()) / 1000).toFixed(1));
  progress(`${n} jobs due at ${new Date(due).toISOString()} (in ${r.offset_s} s)`);

  const cpuAll = async () => ({
    pg: pgCpuSeconds(opts.pgPid), main: cpuSeconds(),
    rx: (await rx.ask({ type: 'cpu' }, 'cpu')).s,
    workers: (await Promise.all(workers.map((w) => w.ask({ type: 'cpu' }, 'cpu')))).reduce((a, m) => a + m.s, 0),
  });
  const cpu0 = await cpuAll();
  const es = await phase(0, nSingle, 1, opts.clients, send(due));
  check(es, nSingle, 'enqueue single');
  const cpuS = await cpuAll();
  const eb = await phase(nSingle, n, opts.batch, opts.clients, insert(due));
  check(eb, n - nSingle, 'enqueue batch');
  const enqueuedAt = Date.now();
  const cpu1 = await cpuAll();
  r.enqueue_single = Math.round(es.rate);
  r.enqueue_batch = Math.round(eb.rate);
  const notes = [];
  progress(`enqueued single ${r.enqueue_single}/s, batch ${r.enqueue_batch}/s; ${((due - enqueuedAt) / 1000).toFixed(1)} s before due`);
  if (enqueuedAt > due - 200) notes.push(`enqueue ended ${enqueuedAt - due} ms after the due time - 200 ms: delivery overlapped; raise --offset`);

  // Wait for the deliveries, as WaitDeliveries: all, a 30 s stall, or the deadline.
  const deadline = due + 60000 + Math.floor(n / 1000) * 1000;
  let why = '', lastCount = -1, lastChange = Date.now(), lastReport = Date.now(), atReport = 0;
  for (;;) {
    const { distinct } = await rx.ask({ type: 'count' }, 'count');
    if (distinct >= n) break;
    const now = Date.now();
    if (distinct !== lastCount) { lastCount = distinct; lastChange = now; }
    if (distinct > 0 && now - lastChange > 30000) { why = `stalled: ${distinct}/${n} delivered, nothing new for 30 s`; break; }
    if (now > deadline) { why = `timeout: ${distinct}/${n} delivered`; break; }
    if (now - lastReport > 5000) {
      progress(`delivered ${distinct}/${n} (+${distinct - atReport} in 5 s)`);
      lastReport = now; atReport = distinct;
    }
    await sleep(50);  // an IPC round trip to the receiver: not too often (its CPU is measured)
  }
  const cpu2 = await cpuAll();
  if (!why) await sleep(2000);  // late duplicates
  const d = await rx.ask({ type: 'dump' }, 'dump');

  let delivered = 0, dup = 0, firstAt = Infinity, lastAt = 0;
  const late = [];
  for (let i = 0; i < n; ++i) {
    if (d.hits[i] === 0) continue;
    ++delivered;
    dup += d.hits[i] - 1;
    firstAt = Math.min(firstAt, d.first[i]);
    lastAt = Math.max(lastAt, d.first[i]);
    late.push(d.first[i] - d.sched[i]);
  }
  late.sort((x, y) => x - y);
  const drain = (lastAt - due) / 1000;
  r.deliver = delivered && drain > 0 ? Math.round(delivered / drain) : 0;
  r.drain_s = Number(drain.toFixed(2));
  r.first_ms = delivered ? Number((firstAt - due).toFixed(1)) : null;
  r.late_p50_ms = Number(percentile(late, 50).toFixed(1));
  r.late_p99_ms = Number(percentile(late, 99).toFixed(1));
  r.late_max_ms = Number((late.length ? late[late.length - 1] : 0).toFixed(1));
  r.delivered = delivered;
  // CPU per task (µs), as tock's cpu_enqueue_us_per_task / cpu_deliver_us_per_task, split by
  // process: PostgreSQL (if --pg-pid), the enqueuing process, the workers, the receiver.
  const per = (a, b, k, m = n) => Number(((b[k] - a[k]) * 1e6 / Math.max(1, m)).toFixed(1));
  r.cpu_enqueue_single_us_per_task = { postgres: opts.pgPid ? per(cpu0, cpuS, 'pg', nSingle) : null,
                                       client: per(cpu0, cpuS, 'main', nSingle) };
  r.cpu_enqueue_batch_us_per_task = { postgres: opts.pgPid ? per(cpuS, cpu1, 'pg', n - nSingle) : null,
                                      client: per(cpuS, cpu1, 'main', n - nSingle) };
  r.cpu_enqueue_us_per_task = { postgres: opts.pgPid ? per(cpu0, cpu1, 'pg') : null, client: per(cpu0, cpu1, 'main'),
                                workers: per(cpu0, cpu1, 'workers') };
  r.cpu_deliver_us_per_task = { postgres: opts.pgPid ? per(cpu1, cpu2, 'pg') : null, workers: per(cpu1, cpu2, 'workers'),
                                receiver: per(cpu1, cpu2, 'rx'), client: per(cpu1, cpu2, 'main') };
  r.lost = n - delivered;
  r.dup = dup;
  r.unknown = d.unknown;
  r.loadavg1_end = Number(os.loadavg()[0].toFixed(2));
  r.ok = !why && r.lost === 0;
  if (why) r.error = why;
  if (dup) notes.push(`${dup} duplicate deliveries`);
  if (d.unknown) notes.push(`${d.unknown} deliveries for unknown jobs`);
  if (notes.length) r.notes = notes;

  for (const w of workers) w.send({ type: 'exit' });
  rx.send({ type: 'exit' });
  await Promise.all([...workers, rx].map((c) => new Promise((res) => {
    if (c.exitCode !== null) return res();
    const t = setTimeout(() => { c.kill('SIGKILL'); res(); }, 15000);
    c.on('exit', () => { clearTimeout(t); res(); });
  })));
  await boss.stop({ graceful: false, wait: true, timeout: 5000 }).catch(() => {});
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(r.ok ? 0 : 1);
}

const roles = { main, receiver: runReceiver, worker: runWorkers };
if (!roles[opts.role]) throw new Error(`unknown role ${opts.role}`);
roles[opts.role]().catch((e) => {
  console.error(`pgboss_w1 (${opts.role}):`, e && e.stack ? e.stack : e);
  process.exit(2);
});
