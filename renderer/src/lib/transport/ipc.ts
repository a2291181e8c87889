import { clientOver, type EngineClient, type EventName, type MethodName, type Outcome } from '@engine/api';

/** What electron/preload.ts exposes on `window.ganvasEngine`, nothing more. */
export interface PreloadBridge {
  call(method: MethodName, req: unknown): Promise<Outcome>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
  events: readonly EventName[];
}

declare global {
  interface Window {
    ganvasEngine?: PreloadBridge;
  }
}

export function connectIpc(bridge: PreloadBridge): EngineClient {
  return clientOver({
    host: 'Electron',
    send: (method, req) => bridge.call(method, req),
    subscribe: (listener) => {
      const offs = bridge.events.map((e) => bridge.on(e, (p) => listener(e, p)));
      return () => offs.forEach((off) => off());
    },
  });
}
