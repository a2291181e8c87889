import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createDispatcher, decodeFrame, encodeFrame, limits, type Frame } from '../api/index.js';
import { Engine } from '../engine.js';
import { serveStatic } from './static.js';

export interface ServeOptions {
  port: number;
  project?: string;
  home?: string;
  rendererDir: string;
  /** Folders the user allows projects and training data in, besides the projects folder (`--allow DIR`). */
  allow?: string[];
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  engine: Engine;
  close(): Promise<void>;
}

/** One frame carries one request: the contract's request limit, plus room for the frame's envelope. */
const MAX_FRAME = limits.maxRequestBytes + 64 * 1024;

/**
 * WebSocket close codes (RFC 6455 §7.4.1) for what a client can get wrong; `ws` closes with them itself on
 * protocol errors (1002 bad opcode or unmasked frame, 1007 invalid UTF-8, 1009 over maxPayload).
 */
const UNSUPPORTED_DATA = 1003;

const toBytes = (data: Buffer | ArrayBuffer | Buffer[]): Uint8Array =>
  Array.isArray(data) ? new Uint8Array(Buffer.concat(data)) : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

function tokenMatches(expected: Buffer, given: string | null): boolean {
  if (!given) return false;
  const b = Buffer.from(given);
  return b.length === expected.length && timingSafeEqual(b, expected);
}

/** Same-origin only: refuses pages from other sites and DNS-rebinding hosts even if they learned the token. */
function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/**
 * The browser host: the engine behind a WebSocket on 127.0.0.1, plus the renderer bundle. Every connection
 * must carry the per-start token.
 */
export async function serve(opts: ServeOptions): Promise<RunningServer> {
  if (!existsSync(opts.rendererDir)) {
    throw new Error(`the renderer is not built (${opts.rendererDir} is missing): run npm run build:renderer`);
  }
  const log = opts.log ?? (() => {});
  const token = randomBytes(24).toString('base64url');
  const expected = Buffer.from(token);
  let port = opts.port;
  const engine = new Engine({ host: 'websocket', hostDetail: '', home: opts.home, allow: opts.allow });
  engine.openOrCreate(opts.project);
  const dispatch = createDispatcher(engine.handlers, (err) => log(`internal error: ${String(err)}`));

  const http: Server = createServer((req, res) => {
    try {
      if (!hostAllowed(req.headers.host, port)) return void res.writeHead(421).end('wrong host');
      serveStatic(opts.rendererDir, req, res);
    } catch (err) {
      // Nothing a request carries may end the process; this is a bug of ours, answered and logged.
      log(`internal error serving ${JSON.stringify(String(req.url).slice(0, 200))}: ${String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    }
  });
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  wss.on('error', (err) => log(`websocket server error: ${err.message}`));
  http.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const originOk = !req.headers.origin || hostAllowed(req.headers.origin.replace(/^https?:\/\//, ''), port);
    if (url.pathname !== '/ws' || !hostAllowed(req.headers.host, port) || !originOk || !tokenMatches(expected, url.searchParams.get('token'))) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      log(`refused a connection from ${req.socket.remoteAddress} (${url.pathname}: bad token, host or origin)`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const clients = new Set<WebSocket>();
  engine.onEvent((n, p) => {
    const bytes = encodeFrame({ t: 'evt', n, p });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(bytes);
  });
  const reply = (ws: WebSocket, f: Frame) => {
    if (ws.readyState !== ws.OPEN) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(f);
    } catch (err) {
      log(`internal error encoding a reply: ${String(err)}`);
      bytes = encodeFrame({ t: 'res', id: f.t === 'res' ? f.id : -1, ok: false, e: { code: 'internal', message: 'the reply could not be encoded' } });
    }
    ws.send(bytes, (err) => { if (err) log(`could not send a reply: ${err.message}`); });
  };
  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    // A protocol error (frame over the limit, invalid UTF-8, reserved opcode, unmasked frame) ends this
    // connection with its close code (ws sends it); without this handler it would end the process.
    ws.on('error', (err) => log(`closed a connection: ${err.message}`));
    ws.on('message', async (data, isBinary) => {
      let frame: Frame;
      try {
        if (!isBinary) {
          ws.close(UNSUPPORTED_DATA, 'text frames are not part of the protocol');
          return;
        }
        frame = decodeFrame(toBytes(data));
        if (frame.t !== 'call' || typeof frame.id !== 'number' || !Number.isSafeInteger(frame.id)) throw new Error('expected a call frame');
      } catch (err) {
        reply(ws, { t: 'res', id: -1, ok: false, e: { code: 'bad_request', message: `malformed frame: ${(err as Error).message}` } });
        return;
      }
      const out = await dispatch(frame.m, frame.p);
      reply(ws, out.ok ? { t: 'res', id: frame.id, ok: true, r: out.r } : { t: 'res', id: frame.id, ok: false, e: out.e });
    });
  });

  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(opts.port, '127.0.0.1', () => ok());
  });
  port = (http.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  engine.setHostDetail(`WebSocket ${base.replace('http://', '')}`);
  return {
    url: `${base}/?token=${token}`,
    port,
    token,
    engine,
    close: async () => {
      for (const ws of clients) ws.terminate();
      await new Promise<void>((ok) => wss.close(() => ok()));
      await new Promise<void>((ok) => http.close(() => ok()));
      engine.close();
    },
  };
}
