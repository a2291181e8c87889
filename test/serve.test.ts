import { mkdirSync, writeFileSync } from 'node:fs';
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
