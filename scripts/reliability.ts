// The reliability suite (issue 12): a generated corpus of bad inputs run through every entry — the command line,
// the WebSocket API and the static server of `ganvas serve` — and a bounded SIGKILL loop during imports, edits,
// inpaints, exports, model imports and training. Every case ends as one of
//   ok     a good input did its work          clear  a bad input got a clear error (code + sentence) and the
//   crash  the process died, or an internal          process lives on
//          error / raw Node message came back hang   no answer within the case's deadline
//   lost   an acknowledged edit or a good file   hole   something outside the allowed places was read, written,
//          is gone after a kill                         revealed or installed
// Prints a table and `reliability: N cases, N clear errors, 0 crashes, 0 hangs, 0 lost, 0 holes`; exits 1 on any
// crash, hang, loss or hole. Usage: npm run test:reliability  (about a minute on 2 cores)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, type Stats, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, type Frame } from '../engine/api/wire.js';
import { readWeights } from '../engine/nets/weights.js';
import { ModelRegistry, shippedModelsDir } from '../engine/runtime/registry.js';
import { ProjectStore } from '../engine/store/project-store.js';
import { makePng } from '../test/fixtures.js';
import { makeCorpus, type Corpus } from './reliability/corpus.js';

type Outcome = 'ok' | 'clear' | 'crash' | 'hang' | 'lost' | 'hole';
interface Result { entry: string; group: string; name: string; outcome: Outcome; detail: string }

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'bin', 'ganvas.js');
const SERVE_CHILD = join(root, 'scripts', 'reliability', 'serve-child.ts');
const IMPORT_CHILD = join(root, 'scripts', 'reliability', 'import-child.ts');
const results: Result[] = [];
const record = (entry: string, group: string, name: string, outcome: Outcome, detail = '') => {
  results.push({ entry, group, name, outcome, detail });
  if (outcome !== 'ok' && outcome !== 'clear') console.error(`  ${outcome.toUpperCase()}: ${entry} / ${group} / ${name}: ${detail}`);
};

/** What an unclear error looks like: a raw Node or JS message, a stack, or an internal staging folder. */
const RAW = /Maximum call stack|Cannot read propert|is not a function|is not iterable|\bundefined\b|\bE(ISDIR|NOENT|NOTDIR|ACCES|LOOP|PERM)\b|\.import-[0-9a-f]|\n\s+at .+:\d+:\d+/;
const SECRET = /PRIVATE KEY|id_rsa|SECRET-NAME/;

const work = mkdtempSync(join(tmpdir(), 'ganvas-reliability-'));
const home = join(work, 'home');
const allowed = join(work, 'allowed');
const outside = join(work, 'outside');
for (const d of [home, allowed, outside]) mkdirSync(d, { recursive: true });
writeFileSync(join(outside, 'SECRET-NAME.txt'), 'PRIVATE KEY');
writeFileSync(join(outside, 'existing.ganvas'), 'PRIVATE KEY');
const renderer = join(work, 'renderer');
mkdirSync(renderer);
writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Ganvas</title>');

const shippedInpainter = join(shippedModelsDir, 'inpaint256', 'inpainter.onnx');
const hasShipped = existsSync(shippedInpainter);

// ───────────────────────────── child processes ─────────────────────────────

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }

/** Deadlines are generous (a loaded CI runner starts the CLI in seconds); a hang is what never ends. */
function runCli(args: string[], timeoutMs = 90_000): Promise<Run> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [CLI, '--home', home, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('exit', (code, signal) => { clearTimeout(t); ok({ code, signal, stdout, stderr, timedOut }); });
  });
}

/** Runs `jobs` two at a time (the suite must fit 2 cores). */
async function pool<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) { const i = next++; out[i] = await jobs[i]!(); }
  }));
  return out;
}

/** Classifies a CLI run that should fail: clear (exit 2 or 1, one `ganvas:` sentence), crash or hang. */
function cliFailure(r: Run): { outcome: Outcome; detail: string } {
  const msg = r.stderr.trim().split('\n').filter((l) => l.startsWith('ganvas: ')).at(-1) ?? '';
  if (r.timedOut) return { outcome: 'hang', detail: 'no exit within the deadline' };
  if (r.signal) return { outcome: 'crash', detail: `killed by ${r.signal}` };
  if (r.code === 0) return { outcome: 'hole', detail: `accepted: ${r.stdout.trim().slice(0, 120)}` };
  if (!msg || RAW.test(r.stderr)) return { outcome: 'crash', detail: r.stderr.trim().slice(0, 300) };
  if (SECRET.test(msg)) return { outcome: 'hole', detail: msg };
  return { outcome: 'clear', detail: msg.slice(8) };
}

class ServeChild {
  child!: ChildProcess;
  port = 0;
  token = '';
  constructor(private readonly project?: string) {}
  async start(): Promise<void> {
    this.child = spawn(process.execPath, ['--import', 'tsx', SERVE_CHILD, home, renderer, allowed, ...(this.project ? [this.project] : [])], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
    this.child.stderr!.on('data', () => {});
    const line = await new Promise<string>((ok, fail) => {
      let buf = '';
      this.child.stdout!.on('data', (d) => { buf += d; if (buf.includes('\n')) ok(buf.split('\n')[0]!); });
      this.child.on('exit', (c) => fail(new Error(`serve exited with ${c} before listening`)));
    });
    ({ port: this.port, token: this.token } = JSON.parse(line));
  }
  get alive(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }
  kill(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((ok) => { this.child.once('exit', () => ok()); this.child.kill('SIGKILL'); });
  }
}

function wsConnect(s: ServeChild, query = `?token=${s.token}`, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws${query}`, { headers });
    ws.once('open', () => ok(ws));
    ws.once('error', fail);
    ws.once('unexpected-response', (_q, res) => fail(new Error(`HTTP ${res.statusCode}`)));
  });
}

let nextId = 1;
function wsCall(ws: WebSocket, m: unknown, p: unknown, timeoutMs = 20_000, raw?: Uint8Array): Promise<Frame | 'hang' | 'closed'> {
  const id = raw ? -1 : nextId++;
  return new Promise((ok) => {
    const done = (v: Frame | 'hang' | 'closed') => { clearTimeout(t); ws.off('message', on); ws.off('close', onClose); ok(v); };
    const on = (d: Buffer) => { const f = decodeFrame(new Uint8Array(d)); if (f.t === 'res' && f.id === id) done(f); };
    const onClose = () => done('closed');
    const t = setTimeout(() => done('hang'), timeoutMs);
    ws.on('message', on);
    ws.on('close', onClose);
    ws.send(raw ?? encodeFrame({ t: 'call', id, m: m as string, p }));
  });
}

/** Classifies a WebSocket reply to a bad call; `ok` when success is acceptable for this input. */
function wsFailure(f: Frame | 'hang' | 'closed', acceptable = false): { outcome: Outcome; detail: string } {
  if (f === 'hang') return { outcome: 'hang', detail: 'no reply' };
  if (f === 'closed') return { outcome: 'crash', detail: 'the connection closed' };
  if (f.t !== 'res') return { outcome: 'crash', detail: 'not a reply' };
  if (f.ok) return acceptable ? { outcome: 'ok', detail: '' } : { outcome: 'hole', detail: 'accepted' };
  if (f.e.code === 'internal' || RAW.test(f.e.message)) return { outcome: 'crash', detail: `${f.e.code}: ${f.e.message.slice(0, 200)}` };
  if (SECRET.test(f.e.message)) return { outcome: 'hole', detail: f.e.message };
  return { outcome: 'clear', detail: `${f.e.code}: ${f.e.message}` };
}

function rawHttp(port: number, bytes: Buffer | string, waitMs = 2000): Promise<string> {
  return new Promise((ok) => {
    const s = netConnect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', () => {});
    s.on('connect', () => s.write(bytes));
    const t = setTimeout(() => { s.destroy(); ok(out); }, waitMs);
    s.on('close', () => { clearTimeout(t); ok(out); });
  });
}

// ───────────────────────────── helpers for checks ─────────────────────────────

/** Every path under `dir` with its lstat; what vanishes meanwhile (another process's staging) is skipped. */
function walk(dir: string): { p: string; st: Stats }[] {
  const out: { p: string; st: Stats }[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    out.push({ p, st });
    if (st.isDirectory()) out.push(...walk(p));
  }
  return out;
}

/** Installed models hold only plain files and folders, and no staging is left: else a hole. */
function modelsClean(): string {
  const models = join(home, 'models');
  for (const { p, st } of walk(models)) {
    if (st.isSymbolicLink()) return `a symlink was installed: ${p}`;
    if (!st.isFile() && !st.isDirectory()) return `a special file was installed: ${p}`;
    // Staging of an import still running (another process of the suite) is not a leak; a dead one's is.
    const staging = /[/\\]\.import-(\d+)-[0-9a-f]+$/.exec(p);
    if (staging && !alive(Number(staging[1]))) return `staging left behind: ${p}`;
  }
  if (existsSync(join(work, 'escape.onnx')) || existsSync(join(home, 'escape.onnx'))) return 'a file was written outside the models folder';
  return '';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function decodes(file: string): Promise<boolean> {
  try {
    await sharp(readFileSync(file)).raw().toBuffer();
    return true;
  } catch {
    return false;
  }
}

function projectIntact(file: string): { ok: boolean; edits: number; why: string; x?: number } {
  try {
    const store = ProjectStore.open(file);
    const integrity = store.integrityCheck();
    const edits = store.editCount();
    const state = store.state();
    store.close();
    const db = new Database(file, { readonly: true });
    const fk = db.pragma('foreign_key_check') as unknown[];
    db.close();
    if (integrity !== 'ok') return { ok: false, edits, why: `integrity_check: ${integrity}` };
    if (fk.length) return { ok: false, edits, why: `foreign_key_check: ${fk.length} rows` };
    return { ok: true, edits, why: '', x: state.layers[0]?.x };
  } catch (err) {
    return { ok: false, edits: 0, why: (err as Error).message };
  }
}

// ───────────────────────────── the entries ─────────────────────────────

async function staticServer(s: ServeChild): Promise<void> {
  const host = `Host: 127.0.0.1:${s.port}\r\n`;
  const cases: [string, string | Buffer, RegExp][] = [
    ['GET /% without token', `GET /% HTTP/1.1\r\n${host}\r\n`, /^HTTP\/1\.1 400/],
    ['GET /%00', `GET /a%00b HTTP/1.1\r\n${host}\r\n`, /^HTTP\/1\.1 400/],
    ['GET /%E0%A4%A', `GET /%E0%A4%A HTTP/1.1\r\n${host}\r\n`, /^HTTP\/1\.1 400/],
    ['traversal ../', `GET /../outside/SECRET-NAME.txt HTTP/1.1\r\n${host}\r\n`, /^HTTP\/1\.1 404/],
    ['traversal %2e%2e', `GET /%2e%2e/%2e%2e/outside/SECRET-NAME.txt HTTP/1.1\r\n${host}\r\n`, /^HTTP\/1\.1 404/],
    ['traversal backslash', `GET /..%5c..%5coutside%5cSECRET-NAME.txt HTTP/1.1\r\n${host}\r\n`, /^HTTP\/1\.1 404/],
    ['absolute URL', `GET http://evil.example/etc/passwd HTTP/1.1\r\n${host}\r\n`, /^HTTP\/1\.1 (404|400)/],
    ['foreign Host', `GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n`, /^HTTP\/1\.1 421/],
    ['no Host', `GET / HTTP/1.0\r\n\r\n`, /^HTTP\/1\.[01] (421|400)/],
    ['POST', `POST / HTTP/1.1\r\n${host}Content-Length: 3\r\n\r\nabc`, /^HTTP\/1\.1 405/],
    ['malformed request line', 'GARBAGE\r\n\r\n', /^HTTP\/1\.1 400/],
    ['TLS hello on plain port', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]), /^(HTTP\/1\.1 400|$)/],
    ['header over 16 KiB', `GET / HTTP/1.1\r\n${host}X: ${'a'.repeat(20000)}\r\n\r\n`, /^HTTP\/1\.1 431|^HTTP\/1\.1 400/],
    ['upgrade without token', `GET /ws HTTP/1.1\r\n${host}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`, /^HTTP\/1\.1 401/],
    ['upgrade, malformed URL', `GET //% HTTP/1.1\r\n${host}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`, /^HTTP\/1\.1 (400|401)/],
  ];
  for (const [name, req, expected] of cases) {
    const res = await rawHttp(s.port, req);
    if (!s.alive) { record('static', 'HTTP requests', name, 'crash', 'the server died'); await s.start(); continue; }
    if (SECRET.test(res)) record('static', 'HTTP requests', name, 'hole', 'served a file outside the renderer');
    else if (!expected.test(res)) record('static', 'HTTP requests', name, res ? 'crash' : 'hang', `got ${JSON.stringify(res.slice(0, 60))}`);
    else record('static', 'HTTP requests', name, 'clear', res.split('\r\n')[0] ?? 'closed');
  }
  const good = await rawHttp(s.port, `GET / HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
  record('static', 'HTTP requests', 'GET / still served', /^HTTP\/1\.1 200/.test(good) ? 'ok' : 'crash', good.slice(0, 40));
}

async function wsProtocol(s: ServeChild): Promise<void> {
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = (op: number, payload: Buffer) => Buffer.concat([Buffer.from([0x80 | op, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
  const frames: [string, Buffer, number][] = [
    ['frame over maxPayload', Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]), 1009],
    ['invalid UTF-8 text frame', masked(0x1, Buffer.from([0xc3, 0x28])), 1007],
    ['reserved opcode 3', masked(0x3, Buffer.from('x')), 1002],
    ['reserved opcode 0xB', masked(0xb, Buffer.from('x')), 1002],
    ['unmasked frame', Buffer.from([0x82, 0x03, 1, 2, 3]), 1002],
    ['RSV bits set', Buffer.concat([Buffer.from([0xf2, 0x81]), mask, Buffer.from([0])]), 1002],
    ['text frame', masked(0x1, Buffer.from('{"t":"call","id":1,"m":"engine.info"}')), 1003],
    ['continuation without start', masked(0x0, Buffer.from('x')), 1002],
  ];
  for (const [name, frame, code] of frames) {
    const key = randomBytes(16).toString('base64');
    const got = await new Promise<number | 'hang' | 'none'>((ok) => {
      const sock = netConnect(s.port, '127.0.0.1');
      let buf = Buffer.alloc(0), up = false;
      sock.on('error', () => {});
      sock.on('connect', () => sock.write(`GET /ws?token=${s.token} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (!up) { const e = buf.indexOf('\r\n\r\n'); if (e < 0) return; up = true; buf = buf.subarray(e + 4); sock.write(frame); }
        const i = buf.indexOf(0x88);
        if (i >= 0 && buf.length >= i + 4) { ok(buf.readUInt16BE(i + 2)); sock.destroy(); }
      });
      sock.on('close', () => ok('none'));
      setTimeout(() => { sock.destroy(); ok('hang'); }, 4000);
    });
    await new Promise((r) => setTimeout(r, 30));
    if (!s.alive) { record('websocket', 'WebSocket frames', name, 'crash', 'the server died'); await s.start(); continue; }
    record('websocket', 'WebSocket frames', name, got === code ? 'clear' : got === 'hang' ? 'hang' : 'crash', `close ${got}`);
  }
  for (const [name, query, headers] of [
    ['no token', '', {}], ['wrong token', '?token=x', {}], ['foreign origin', `?token=${s.token}`, { origin: 'http://evil.example' }],
  ] as [string, string, Record<string, string>][]) {
    if (!s.alive) await s.start();
    const r = await wsConnect(s, query, headers).then((ws) => { ws.close(); return 'open'; }, (e: Error) => e.message);
    record('websocket', 'authentication', name, r === 'open' ? 'hole' : /401/.test(r) ? 'clear' : 'crash', r);
  }
}

async function wsApi(s: ServeChild, c: Corpus): Promise<void> {
  if (!s.alive) { record('websocket', 'process', 'alive before the API cases', 'crash', 'the server died'); await s.start(); }
  let ws = await wsConnect(s);
  const run = async (group: string, name: string, m: unknown, p: unknown, acceptable = false, raw?: Uint8Array, after?: () => string) => {
    const f = await wsCall(ws, m, p, 20_000, raw);
    let r = wsFailure(f, acceptable);
    if (!s.alive) { r = { outcome: 'crash', detail: 'the server died' }; await s.start(); ws = await wsConnect(s); }
    const hole = after?.();
    if (hole) r = { outcome: 'hole', detail: hole };
    record('websocket', group, name, r.outcome, r.detail);
    if (ws.readyState !== ws.OPEN) ws = await wsConnect(s);
  };
  // RPC frames.
  const str = (v: string) => Buffer.concat([Buffer.from([0xa0 | v.length]), Buffer.from(v)]);
  const frame = (m: Buffer, p: Buffer) => new Uint8Array(Buffer.concat([Buffer.from([0x84]), str('t'), str('call'), str('id'), Buffer.from([0xff]), str('m'), m, str('p'), p]));
  await run('RPC frames', 'random bytes', null, null, false, new Uint8Array(randomBytes(64)));
  await run('RPC frames', 'a msgpack number', null, null, false, new Uint8Array([0x05]));
  await run('RPC frames', 'an empty map', null, null, false, new Uint8Array([0x80]));
  await run('RPC frames', 'truncated msgpack', null, null, false, new Uint8Array([0x84, 0xa1]));
  await run('RPC frames', 'float32 extension of 3 bytes', null, null, false, new Uint8Array([0xc7, 3, 1, 0, 0, 0]));
  await run('RPC frames', 'a 4 GiB string header', null, null, false, new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]));
  await run('RPC frames', 'a 4-billion-item array header', null, null, false, new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]));
  for (const [name, m] of [['method nested 100000 deep', Buffer.concat([Buffer.alloc(100_000, 0x91), str('x')])], ['method a map', Buffer.from([0x81, 0xa1, 0x61, 0x01])], ['method a number', Buffer.from([0x07])]] as [string, Buffer][]) {
    await run('RPC frames', name, null, null, false, frame(m, Buffer.from([0x80])));
  }
  await run('RPC frames', 'payload nested 100000 deep', null, null, false, frame(str('engine.info'), Buffer.concat([Buffer.alloc(100_000, 0x91), Buffer.from([0xc0])])));
  await run('RPC frames', 'payload map nested 50000 deep', null, null, false, frame(str('engine.info'), Buffer.concat([...Array.from({ length: 50_000 }, () => Buffer.from([0x81, 0xa1, 0x61])), Buffer.from([0x80])])));
  await run('RPC frames', 'unknown method', 'project.drop', {});
  await run('RPC frames', 'prototype method', '__proto__', {});
  await run('RPC frames', 'constructor method', 'constructor', {});
  await run('RPC frames', 'wrong types', 'layer.update', { id: 5, patch: 'x' });
  await run('RPC frames', 'extra keys', 'engine.info', { admin: true });
  await run('RPC frames', 'array of 100000', 'latent.sample', { seeds: new Array(100_000).fill(1) });
  await run('RPC frames', 'string of 100000', 'project.open', { path: 'x'.repeat(100_000) });
  await run('RPC frames', 'NaN and Infinity', 'layer.update', { id: 'a', patch: { x: Number.NaN, y: Infinity } });
  await run('RPC frames', 'document of 16384²', 'project.create', { name: 'big', width: 16384, height: 16384 });
  await run('RPC frames', 'undo past the root', 'history.undo', {}, true);

  // Paths: projects and training folders.
  const sshDir = join(outside, '.ssh');
  mkdirSync(sshDir, { recursive: true });
  const created = (p: string) => () => (existsSync(p) ? `created ${p}` : '');
  await run('paths', 'create ~/.ssh/authorized_keys', 'project.create', { name: 'x', path: join(sshDir, 'authorized_keys') }, false, undefined, created(join(sshDir, 'authorized_keys')));
  await run('paths', 'create outside.ganvas', 'project.create', { name: 'x', path: join(outside, 'new.ganvas') }, false, undefined, created(join(outside, 'new.ganvas')));
  await run('paths', 'create ../../ relative', 'project.create', { name: 'x', path: '../../outside/rel.ganvas' }, false, undefined, created(join(outside, 'rel.ganvas')));
  symlinkSync(outside, join(allowed, 'link-out'));
  await run('paths', 'create through a symlink out', 'project.create', { name: 'x', path: join(allowed, 'link-out', 'via.ganvas') }, false, undefined, created(join(outside, 'via.ganvas')));
  await run('paths', 'create a dot-file', 'project.create', { name: 'x', path: join(allowed, '.hidden.ganvas') }, false, undefined, created(join(allowed, '.hidden.ganvas')));
  await run('paths', 'create with NUL', 'project.create', { name: 'x', path: join(allowed, 'a\0b.ganvas') });
  await run('paths', 'create in an allowed folder', 'project.create', { name: 'ok', path: join(allowed, 'fine.ganvas') }, true);
  const a = await wsCall(ws, 'project.open', { path: join(outside, 'existing.ganvas') });
  const b = await wsCall(ws, 'project.open', { path: join(outside, 'missing.ganvas') });
  const msg = (f: typeof a, name: string) => (typeof f === 'object' && f.t === 'res' && !f.ok ? f.e.message.replace(name, 'N') : 'accepted');
  const oracle = msg(a, 'existing') !== msg(b, 'missing');
  record('websocket', 'paths', 'open: existing vs missing outside', oracle ? 'hole' : wsFailure(a).outcome, oracle ? 'the answers differ' : msg(a, 'existing'));
  await run('paths', 'open through a symlink out', 'project.open', { path: join(allowed, 'link-out', 'existing.ganvas') });
  await run('paths', 'open a folder', 'project.open', { path: join(allowed, 'dir.ganvas') });
  const trainDirs: [string, string][] = [
    ['private folder', outside], ['missing folder outside', join(outside, 'nope')], ['dot folder', sshDir],
    ['symlink out', join(allowed, 'link-out')], ['a file', join(allowed, 'fine.ganvas')], ['relative escape', '../../outside'],
  ];
  for (const [name, dataDir] of trainDirs) await run('training folders', name, 'train.start', { modelId: 'faces64', dataDir, kimg: 1 });
  mkdirSync(join(allowed, 'junk'), { recursive: true });
  writeFileSync(join(allowed, 'junk', 'a.txt'), 'x');
  await run('training folders', 'allowed folder, unknown model', 'train.start', { modelId: 'nope', dataDir: join(allowed, 'junk'), kimg: 1 });

  // Images, masks, model files through the API.
  await run('images', 'open the working project', 'project.create', { name: 'work', path: join(allowed, 'work.ganvas') }, true);
  for (const img of c.images) await run('images', img.name, 'layer.import', { name: img.name, bytes: img.bytes }, img.name.endsWith('.svg'));
  const imported = await wsCall(ws, 'layer.import', { name: 'good.png', bytes: c.goodPng });
  const layerId = typeof imported === 'object' && imported.t === 'res' && imported.ok ? (imported.r as { layers: { id: string }[] }).layers.at(-1)!.id : 'none';
  record('websocket', 'images', 'a good image', layerId === 'none' ? 'crash' : 'ok');
  if (hasShipped) for (const m of c.masks) await run('masks', m.name, 'inpaint.run', { layerId, mask: m.bytes });
  await run('masks', 'unknown layer', 'inpaint.run', { layerId: 'nope', mask: c.goodPng });
  for (const f of c.modelFiles) await run('model files', f.name, 'models.importFile', { name: f.name, bytes: f.bytes }, false, undefined, modelsClean);
  ws.close();
}

/**
 * The command line. Each CLI start costs seconds of CPU, so it gets a sample of each kind of bad input; the
 * whole package corpus goes through the same importer in one child process (packageBatch).
 */
async function cli(c: Corpus): Promise<void> {
  const project = join(work, 'cli.ganvas');
  ProjectStore.create(project, 'cli', 64, 48).close();
  const files = join(work, 'cli-inputs');
  mkdirSync(files);
  const jobs: (() => Promise<void>)[] = [];
  const one = (group: string, name: string, args: string[], check?: () => string) => jobs.push(async () => {
    const r = cliFailure(await runCli(args));
    const hole = check?.();
    record('cli', group, name, hole ? 'hole' : r.outcome, hole || r.detail);
  });
  for (const img of c.images.filter((i) => /huge|truncated/.test(i.name))) {
    writeFileSync(join(files, img.name), img.bytes);
    one('images', `import ${img.name}`, ['import', project, join(files, img.name)]);
  }
  mkdirSync(join(files, 'folder.png'));
  one('images', 'import a folder', ['import', project, join(files, 'folder.png')]);
  writeFileSync(join(files, 'good.png'), c.goodPng);
  if (hasShipped) {
    const m = c.masks.find((x) => /wrong-size/.test(x.name))!;
    writeFileSync(join(files, m.name), m.bytes);
    one('masks', `inpaint --mask ${m.name}`, ['inpaint', join(files, 'good.png'), '--mask', join(files, m.name), '-o', join(files, 'out.png')]);
    one('masks', 'inpaint --mask a folder', ['inpaint', join(files, 'good.png'), '--mask', join(files, 'folder.png'), '-o', join(files, 'out.png')]);
  }
  const big = join(work, 'big.ganvas');
  ProjectStore.create(big, 'big', 16384, 16384).close(); // the CLI's `project new` is not bound by the contract
  one('exports', 'export a 16384² document', ['export', big, '-o', join(files, 'big.png')], () => (existsSync(join(files, 'big.png')) ? 'wrote an export over the limit' : ''));
  for (const p of c.packages.filter((x) => /FIFO|symlink-file/.test(x.name))) one('model files', `models import ${p.name}`, ['models', 'import', p.path], modelsClean);
  jobs.push(() => packageBatch(c));
  await pool(jobs);
}

/** Every package of the corpus through the importer, in one child, each with a deadline. */
async function packageBatch(c: Corpus): Promise<void> {
  const pending = [...c.packages];
  while (pending.length) {
    const child = spawn(process.execPath, ['--import', 'tsx', IMPORT_CHILD, home, ...pending.map((p) => p.path)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
    let buf = '';
    let current: string | null = null;
    let timer: NodeJS.Timeout | null = null;
    const arm = () => { if (timer) clearTimeout(timer); timer = setTimeout(() => child.kill('SIGKILL'), 60_000); };
    arm();
    child.stdout!.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (line.start) { current = line.start; arm(); continue; }
        const p = pending.shift()!;
        current = null;
        const hole = modelsClean();
        if (hole) record('importer', 'model packages', p.name, 'hole', hole);
        else if (line.ok) record('importer', 'model packages', p.name, 'hole', `installed ${line.id}`);
        else if (!line.engine || RAW.test(line.message)) record('importer', 'model packages', p.name, 'crash', line.message);
        else record('importer', 'model packages', p.name, SECRET.test(line.message) ? 'hole' : 'clear', `${line.code}: ${line.message}`);
      }
    });
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((ok) => child.on('exit', (code, signal) => ok({ code, signal })));
    if (timer) clearTimeout(timer);
    if (pending.length && current !== null) {
      const p = pending.shift()!;
      record('importer', 'model packages', p.name, signal === 'SIGKILL' ? 'hang' : 'crash', signal ?? `exit ${code}`);
    } else if (pending.length) {
      for (const p of pending.splice(0)) record('importer', 'model packages', p.name, 'crash', `the importer exited (${signal ?? code})`);
    }
  }
}

// ───────────────────────────── the kill loop ─────────────────────────────

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

async function killImport(round: number, images: string[]): Promise<void> {
  const project = join(work, `kill-import-${round}.ganvas`);
  ProjectStore.create(project, 'k', 1280, 800).close();
  const child = spawn(process.execPath, [CLI, '--home', home, 'import', project, ...images], { stdio: ['ignore', 'pipe', 'pipe'] });
  const target = 1 + (round % 3);
  let acked = 0;
  await new Promise<void>((ok) => {
    let buf = '';
    child.stdout!.on('data', (d) => { buf += d; acked = (buf.match(/committed edit \d+/g) ?? []).length; if (acked >= target) { child.kill('SIGKILL'); ok(); } });
    child.on('exit', () => ok());
    setTimeout(() => { child.kill('SIGKILL'); ok(); }, 30_000);
  });
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  const p = projectIntact(project);
  record('kill', 'imports', `SIGKILL after ${acked} acknowledged`, !p.ok || p.edits < acked ? 'lost' : 'ok', p.why || `${p.edits} edits kept`);
}

async function killEdits(round: number): Promise<void> {
  const project = join(allowed, `kill-edits-${round}.ganvas`);
  const s = new ServeChild(project);
  await s.start();
  const ws = await wsConnect(s);
  await wsCall(ws, 'layer.import', { name: 'a.png', bytes: await makePng(32, 32, round) });
  const st = await wsCall(ws, 'project.state', {});
  const id = typeof st === 'object' && st.t === 'res' && st.ok ? (st.r as { layers: { id: string }[] }).layers[0]!.id : 'x';
  const n = 4 + Math.floor(rand(0, 10));
  let lastAcked = -1;
  for (let i = 1; i <= n; i++) {
    const r = await wsCall(ws, 'layer.update', { id, patch: { x: i } });
    if (typeof r === 'object' && r.t === 'res' && r.ok) lastAcked = i;
  }
  ws.send(encodeFrame({ t: 'call', id: 999_999, m: 'layer.update', p: { id, patch: { x: n + 1 } } }));
  await s.kill();
  const p = projectIntact(project);
  const kept = p.x ?? -1;
  record('kill', 'edits', `SIGKILL after ${lastAcked} acknowledged`, !p.ok || kept < lastAcked ? 'lost' : 'ok', p.why || `x = ${kept}`);
}

/** Kills `args` at a random moment; `out` held a good file before and must hold a good file after. */
async function killOutput(group: string, round: number, args: string[], out: string, good: Uint8Array): Promise<void> {
  writeFileSync(out, good);
  const child = spawn(process.execPath, [CLI, '--home', home, ...args], { stdio: 'ignore' });
  const delay = rand(300, 3500);
  await new Promise<void>((ok) => { const t = setTimeout(() => { child.kill('SIGKILL'); ok(); }, delay); child.on('exit', () => { clearTimeout(t); ok(); }); });
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  const fine = existsSync(out) && statSync(out).size > 0 && (await decodes(out));
  record('kill', group, `SIGKILL at ${Math.round(delay)} ms (round ${round})`, fine ? 'ok' : 'lost', fine ? '' : `${out} is damaged`);
}

async function killModelImport(round: number, pkg: string): Promise<void> {
  const child = spawn(process.execPath, [CLI, '--home', home, 'models', 'import', pkg, '--id', `killed-${round}`], { stdio: 'ignore' });
  const delay = rand(500, 3000);
  await new Promise<void>((ok) => { const t = setTimeout(() => { child.kill('SIGKILL'); ok(); }, delay); child.on('exit', () => { clearTimeout(t); ok(); }); });
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  new ModelRegistry(home); // a start cleans what a killed import left
  const left = walk(join(home, 'models')).map(({ p }) => p).filter((p) => { const m = /[/\\]\.import-(\d+)-[0-9a-f]+$/.exec(p); return m !== null && !alive(Number(m[1])); });
  record('kill', 'model imports', `SIGKILL at ${Math.round(delay)} ms, then a start`, left.length ? 'lost' : 'ok', left.join(', '));
}

/**
 * Kills a fine-tuning run at a random moment (loading, training, or writing its package). Afterwards a start
 * must list no damaged package, any package of the run must load, and a checkpoint left behind must read.
 */
async function killTraining(round: number, dataDir: string): Promise<void> {
  const id = `killed-train-${round}`;
  const child = spawn(process.execPath, [CLI, '--home', home, 'train', '--model', 'faces64', '--data', dataDir, '--kimg', '0.02', '--batch', '2', '--out', id], { stdio: 'ignore' });
  const delay = rand(1500, 9000);
  await new Promise<void>((ok) => { const t = setTimeout(() => { child.kill('SIGKILL'); ok(); }, delay); child.on('exit', () => { clearTimeout(t); ok(); }); });
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  const problems: string[] = [];
  const registry = new ModelRegistry(home);
  const listed = registry.list();
  problems.push(...listed.problems.filter((p) => p.includes(id)));
  if (listed.models.some((m) => m.id === id)) await registry.get(id).catch((e: Error) => problems.push(`${id} does not load: ${e.message}`));
  const ckpt = join(home, 'runs', id, 'checkpoint.gnvw');
  if (existsSync(ckpt)) {
    try { readWeights(readFileSync(ckpt), 'checkpoint'); } catch (e) { problems.push(`checkpoint unreadable: ${(e as Error).message}`); }
  }
  record('kill', 'training', `SIGKILL at ${Math.round(delay)} ms (round ${round})`, problems.length ? 'lost' : 'ok', problems.join('; '));
}

async function killLoop(): Promise<void> {
  const imgs = join(work, 'kill-images');
  mkdirSync(imgs);
  const images: string[] = [];
  for (let i = 0; i < 12; i++) { const f = join(imgs, `i${i}.png`); writeFileSync(f, await makePng(400, 300, i)); images.push(f); }
  const exportProject = join(work, 'kill-export.ganvas');
  ProjectStore.create(exportProject, 'e', 800, 600).close();
  await runCli(['import', exportProject, ...images.slice(0, 3)]);
  const good = await makePng(20, 20, 9);
  const photo = join(imgs, 'photo.png');
  writeFileSync(photo, await makePng(256, 192, 4));
  const mask = join(imgs, 'mask.png');
  const m = Buffer.alloc(256 * 192);
  for (let y = 60; y < 120; y++) for (let x = 80; x < 170; x++) m[y * 256 + x] = 255;
  writeFileSync(mask, await sharp(m, { raw: { width: 256, height: 192, channels: 1 } }).png().toBuffer());
  const jobs: (() => Promise<void>)[] = [];
  const rounds = Number(process.env.RELIABILITY_KILL_ROUNDS ?? 1);
  for (let r = 0; r < rounds; r++) {
    jobs.push(() => killImport(r, images));
    jobs.push(() => killOutput('exports', r, ['export', exportProject, '-o', join(imgs, `export-${r}.png`)], join(imgs, `export-${r}.png`), good));
    if (hasShipped) jobs.push(() => killOutput('inpaints', r, ['inpaint', photo, '--mask', mask, '-o', join(imgs, `inpaint-${r}.png`)], join(imgs, `inpaint-${r}.png`), good));
    if (hasShipped) jobs.push(() => killModelImport(r, shippedInpainter));
    jobs.push(() => killEdits(r));
    if (existsSync(join(shippedModelsDir, 'faces64'))) jobs.push(() => killTraining(r, imgs));
  }
  await pool(jobs);
}

// ───────────────────────────── main ─────────────────────────────

const t0 = Date.now();
let failed = false;
try {
  const corpus = await makeCorpus(join(work, 'corpus'), hasShipped ? shippedInpainter : null);
  const server = new ServeChild();
  await server.start();
  const cliDone = cli(corpus);
  await staticServer(server);
  await wsProtocol(server);
  await wsApi(server, corpus);
  if (!server.alive) record('websocket', 'process', 'alive at the end', 'crash', 'the server died');
  await server.kill();
  await cliDone;
  await killLoop();
  // After every kill and a start, nothing of a killed import may be left.
  new ModelRegistry(home);
  const left = walk(join(home, 'models')).filter(({ p, st }) => /[/\\]\.import-/.test(p) || st.isSymbolicLink()).map(({ p }) => p);
  record('kill', 'model imports', 'models folder clean at the end', left.length ? 'lost' : 'ok', left.join(', '));
} catch (err) {
  console.error(`reliability: the suite itself failed: ${(err as Error).stack}`);
  failed = true;
} finally {
  rmSync(work, { recursive: true, force: true });
}

const outcomes: Outcome[] = ['ok', 'clear', 'crash', 'hang', 'lost', 'hole'];
const rows = new Map<string, Record<Outcome, number>>();
for (const r of results) {
  const key = `${r.entry.padEnd(10)} ${r.group}`;
  const row = rows.get(key) ?? { ok: 0, clear: 0, crash: 0, hang: 0, lost: 0, hole: 0 };
  row[r.outcome]++;
  rows.set(key, row);
}
console.log(`${'entry'.padEnd(10)} ${'inputs'.padEnd(22)} ${outcomes.map((o) => o.padStart(6)).join('')}`);
for (const [key, row] of rows) console.log(`${key.padEnd(33)} ${outcomes.map((o) => String(row[o]).padStart(6)).join('')}`);
if (process.env.RELIABILITY_VERBOSE) for (const r of results) console.log(`  ${r.outcome.padEnd(5)} ${r.entry} / ${r.group} / ${r.name}: ${r.detail}`);
const n = (o: Outcome) => results.filter((r) => r.outcome === o).length;
console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
console.log(`reliability: ${results.length} cases, ${n('clear')} clear errors, ${n('crash')} crashes, ${n('hang')} hangs, ${n('lost')} lost, ${n('hole')} holes`);
process.exit(failed || n('crash') + n('hang') + n('lost') + n('hole') > 0 ? 1 : 0);
