import { clientOver, decodeFrame, encodeFrame, type EngineClient, type ErrorReply, type Frame } from '@engine/api';

type Pending = (out: { ok: true; r: unknown } | { ok: false; e: ErrorReply }) => void;

/** The browser host's transport: MessagePack frames over one token-authenticated WebSocket. */
export function connectWebSocket(token: string): Promise<EngineClient> {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = `?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const pending = new Map<number, Pending>();
  const listeners = new Set<(event: string, payload: unknown) => void>();
  let nextId = 1;

  ws.addEventListener('message', (m) => {
    const frame = decodeFrame(new Uint8Array(m.data as ArrayBuffer));
    if (frame.t === 'evt') for (const l of listeners) l(frame.n, frame.p);
    else if (frame.t === 'res') {
      const done = pending.get(frame.id);
      pending.delete(frame.id);
      done?.(frame.ok ? { ok: true, r: frame.r } : { ok: false, e: frame.e });
    }
  });
  ws.addEventListener('close', () => {
    for (const done of pending.values()) done({ ok: false, e: { code: 'internal', message: 'the engine connection closed' } });
    pending.clear();
    for (const l of listeners) l('log', { level: 'error', message: 'Lost the connection to the engine.' });
  });

  return new Promise((resolve, reject) => {
    ws.addEventListener('error', () => reject(new Error('could not connect to the engine (wrong or missing token?)')), { once: true });
    ws.addEventListener('open', () =>
      resolve(
        clientOver({
          host: `WebSocket ${location.host}`,
          send: (method, req) =>
            new Promise((done) => {
              const id = nextId++;
              pending.set(id, done);
              ws.send(encodeFrame({ t: 'call', id, m: method, p: req } satisfies Frame));
            }),
          subscribe: (l) => {
            listeners.add(l);
            return () => listeners.delete(l);
          },
        }),
      ),
    );
  });
}
