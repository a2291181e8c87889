import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createDispatcher, decodeFrame, encodeFrame } from '../api/index.js';
import { Engine } from '../engine.js';
import { serveStatic } from './static.js';

export interface ServeOptions {
  port: number;
  project?: string;
  home?: string;
  rendererDir: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  engine: Engine;
  close(): Promise<void>;
}

const MAX_FRAME = 1024 * 1024 * 1024;

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
  const engine = new Engine({ host: 'websocket', hostDetail: '', home: opts.home });
  engine.openOrCreate(opts.project);
  const dispatch = createDispatcher(engine.handlers, (err) => log(`internal error: ${String(err)}`));

  const http: Server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, port)) return void res.writeHead(421).end('wrong host');
    serveStatic(opts.rendererDir, req, res);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
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
    for (const ws of clients) ws.send(bytes);
  });
  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', async (data, isBinary) => {
      let frame;
      try {
        if (!isBinary) throw new Error('text frames are not part of the protocol');
        frame = decodeFrame(new Uint8Array(data as Buffer));
        if (frame.t !== 'call' || typeof frame.id !== 'number') throw new Error('expected a call frame');
      } catch (err) {
        ws.send(encodeFrame({ t: 'res', id: -1, ok: false, e: { code: 'bad_request', message: `malformed frame: ${(err as Error).message}` } }));
        return;
      }
      const out = await dispatch(frame.m, frame.p);
      ws.send(encodeFrame(out.ok ? { t: 'res', id: frame.id, ok: true, r: out.r } : { t: 'res', id: frame.id, ok: false, e: out.e }));
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
