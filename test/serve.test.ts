import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, type Frame } from '../engine/api/wire.js';
import { serve, type RunningServer } from '../engine/serve/server.js';
import { makePng, tempDir } from './helpers.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start() {
  const home = tempDir();
  const rendererDir = join(home, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Ganvas</title>');
  writeFileSync(join(home, 'secret.txt'), 'outside');
  server = await serve({ port: 0, home, rendererDir });
  return { server, home };
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => ok(ws));
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
  });
}

function call(ws: WebSocket, id: number, m: string, p: unknown): Promise<Frame> {
  return new Promise((ok) => {
    const onMessage = (data: Buffer) => {
      const f = decodeFrame(new Uint8Array(data));
      if (f.t === 'res' && f.id === id) {
        ws.off('message', onMessage);
        ok(f);
      }
    };
    ws.on('message', onMessage);
    ws.send(encodeFrame({ t: 'call', id, m, p }));
  });
}

function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    }).on('error', fail).end();
  });
}

describe('ganvas serve', () => {
  it('binds 127.0.0.1 and refuses WebSocket connections without the right token, host or origin', async () => {
    const { server } = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    const ws = `ws://127.0.0.1:${server.port}/ws`;
    await expect(connect(ws)).rejects.toThrow(/401/);
    await expect(connect(`${ws}?token=wrong`)).rejects.toThrow(/401/);
    await expect(connect(`${ws}?token=${server.token}`, { origin: 'http://evil.example' })).rejects.toThrow(/401/);
    const ok = await connect(`${ws}?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
    ok.close();
  });

  it('answers calls with binary payloads and reports malformed frames', async () => {
    const { server } = await start();
    const ws = await connect(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    const info = await call(ws, 1, 'engine.info', {});
    expect(info).toMatchObject({ ok: true, r: { host: 'websocket' } });
    const events: string[] = [];
    ws.on('message', (d: Buffer) => {
      const f = decodeFrame(new Uint8Array(d));
      if (f.t === 'evt') events.push(f.n);
    });
    const imported = await call(ws, 2, 'layer.import', { name: 'a.png', bytes: await makePng(10, 10) });
    expect(imported).toMatchObject({ ok: true, r: { layers: [{ name: 'a.png', width: 10 }] } });
    const hash = (imported as { r: { layers: { assetHash: string }[] } }).r.layers[0]!.assetHash;
    const asset = (await call(ws, 3, 'asset.get', { hash })) as { r: { bytes: Uint8Array } };
    expect(asset.r.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(asset.r.bytes.subarray(1, 4)).toString()).toBe('PNG');
    expect(events).toContain('project.changed');

    const bad = new Promise<Frame>((ok) => ws.once('message', (d: Buffer) => ok(decodeFrame(new Uint8Array(d)))));
    ws.send(Buffer.from([1, 2, 3]));
    expect(await bad).toMatchObject({ ok: false, e: { code: 'bad_request', message: expect.stringMatching(/malformed/) } });
    expect(await call(ws, 4, 'project.state', {})).toMatchObject({ ok: true }); // the connection survives
    ws.close();
  });

  it('serves the renderer and nothing outside it, and only to its own host name', async () => {
    const { server } = await start();
    expect((await get(server.port, '/')).body).toContain('<title>Ganvas</title>');
    expect((await get(server.port, '/../secret.txt')).status).toBe(404);
    expect((await get(server.port, '/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get(server.port, '/', 'attacker.example')).status).toBe(421);
  });
});

/** Raw bytes on a socket: for requests and frames no well-behaved client would send. */
function raw(port: number, bytes: Buffer | string, waitMs = 300): Promise<Buffer> {
  return new Promise((ok) => {
    const s = netConnect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('connect', () => s.write(bytes));
    const done = () => ok(Buffer.concat(chunks));
    s.on('close', done);
    setTimeout(() => { s.destroy(); done(); }, waitMs);
  });
}

/** Opens an authenticated WebSocket by hand, sends `frame` raw and returns the close code the server sent. */
async function closeCodeAfter(server: RunningServer, frame: Buffer): Promise<number | null> {
  const key = randomBytes(16).toString('base64');
  const req = `GET /ws?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  return new Promise((ok) => {
    const s = netConnect(server.port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    s.on('error', () => {});
    s.on('connect', () => s.write(req));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        buf = buf.subarray(end + 4);
        s.write(frame);
      }
      // A server close frame: 0x88, length, then the 2-byte code.
      const i = buf.indexOf(0x88);
      if (i >= 0 && buf.length >= i + 4) ok(buf.readUInt16BE(i + 2));
    });
    s.on('close', () => ok(null));
    setTimeout(() => { s.destroy(); ok(null); }, 3000);
  });
}

const masked = (opcode: number, payload: Buffer, fin = true): Buffer => {
  const mask = Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  const len = payload.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 255]);
  return Buffer.concat([head, mask, body]);
};

describe('ganvas serve under attack (issue 12)', () => {
  it('answers GET /% and other malformed requests without a token with 400, and keeps serving', async () => {
    const { server } = await start();
    expect((await get(server.port, '/%')).status).toBe(400);
    expect((await get(server.port, '/%E0%A4%A')).status).toBe(400);
    expect((await get(server.port, '/a%00b')).status).toBe(400);
    expect((await raw(server.port, 'GET / HTTP/1.1\r\nHost: \x00\x01\r\n\r\n')).toString()).toMatch(/^HTTP\/1\.1 400/);
    expect((await raw(server.port, Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff]))).toString()).toMatch(/^HTTP\/1\.1 400|^$/);
    expect((await get(server.port, '/')).status).toBe(200);
  });

  it.each([
    ['a frame over maxPayload', () => Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]), 1009],
    ['invalid UTF-8 in a text frame', () => masked(0x1, Buffer.from([0xc3, 0x28])), 1007],
    ['a reserved opcode', () => masked(0x3, Buffer.from('x')), 1002],
    ['an unmasked frame', () => Buffer.from([0x82, 0x03, 1, 2, 3]), 1002],
    ['a text frame', () => masked(0x1, Buffer.from('{"t":"call"}')), 1003],
  ])('closes the connection on %s with its close code and survives', async (_what, frame, code) => {
    const { server } = await start();
    expect(await closeCodeAfter(server, frame())).toBe(code);
    const ws = await connect(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    expect(await call(ws, 1, 'engine.info', {})).toMatchObject({ ok: true });
    ws.close();
  });

  it('answers deeply nested method names and payloads with a clear bad_request, not a stack overflow', async () => {
    const { server } = await start();
    const ws = await connect(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    // MessagePack written by hand: the encoder itself refuses such depths, a hostile client does not.
    const str = (v: string) => Buffer.concat([Buffer.from([0xa0 | v.length]), Buffer.from(v)]);
    const nested = (n: number, open: number) => Buffer.concat([Buffer.alloc(n, open), open === 0x91 ? str('x') : Buffer.from([0x80])]);
    const frame = (id: number, m: Buffer, p: Buffer) => Buffer.concat([Buffer.from([0x84]), str('t'), str('call'), str('id'), Buffer.from([id]), str('m'), m, str('p'), p]);
    const replyTo = (bytes: Buffer, id: number) => new Promise<Frame>((ok) => {
      const on = (d: Buffer) => { const f = decodeFrame(new Uint8Array(d)); if (f.t === 'res' && f.id === id) { ws.off('message', on); ok(f); } };
      ws.on('message', on);
      ws.send(bytes);
    });
    // fixmap of one key "a" nested: 0x81 0xa1 'a' ... ending in an empty map.
    const deepMap = (n: number) => Buffer.concat([...Array.from({ length: n }, () => Buffer.from([0x81, 0xa1, 0x61])), Buffer.from([0x80])]);
    expect(await replyTo(frame(1, nested(100_000, 0x91), Buffer.from([0x80])), 1)).toMatchObject({ ok: false, e: { code: 'bad_request', message: expect.stringMatching(/method name is a string/) } });
    const path = Buffer.concat([Buffer.from([0x81]), str('path'), nested(100_000, 0x91)]);
    expect(await replyTo(frame(2, str('project.open'), path), 2)).toMatchObject({ ok: false, e: { code: 'bad_request', message: expect.stringMatching(/nested deeper than the limit of 16/) } });
    expect(await replyTo(frame(3, str('engine.info'), deepMap(100_000)), 3)).toMatchObject({ ok: false, e: { code: 'bad_request', message: expect.stringMatching(/nested deeper/) } });
    expect(await call(ws, 4, 'engine.info', {})).toMatchObject({ ok: true });
    ws.close();
  });

  it('never creates or opens a project outside the allowed folders, and says nothing of what exists there', async () => {
    const { server, home } = await start();
    const ws = await connect(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    const ssh = join(home, '.ssh');
    mkdirSync(ssh);
    const created = await call(ws, 1, 'project.create', { name: 'x', path: join(ssh, 'authorized_keys') });
    expect(created).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    expect(existsSync(join(ssh, 'authorized_keys'))).toBe(false);
    const a = (await call(ws, 2, 'project.open', { path: join(home, 'secret.txt') })) as { e: { message: string } };
    const b = (await call(ws, 3, 'project.open', { path: join(home, 'nothing-here.txt') })) as { e: { message: string } };
    expect(a.e.message.replace('secret.txt', 'X')).toBe(b.e.message.replace('nothing-here.txt', 'X'));
    const t = (await call(ws, 4, 'train.start', { modelId: 'none', dataDir: ssh, kimg: 1 })) as { e: { message: string } };
    expect(t).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    expect(t.e.message).not.toMatch(/authorized|secret/);
    // In the projects folder it works, by name or by path.
    expect(await call(ws, 5, 'project.create', { name: 'ok', path: 'Mine.ganvas' })).toMatchObject({ ok: true, r: { name: 'ok' } });
    ws.close();
  });
});
