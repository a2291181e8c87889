import type { EventName, EventPayload, MethodName, Reply, Request } from './contract.js';
import { EngineError } from './errors.js';
import type { ErrorReply } from './schemas.js';

/** What the renderer knows of the engine; one implementation per transport. */
export interface EngineClient {
  call<M extends MethodName>(method: M, req: Request<M>): Promise<Reply<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  readonly host: string;
}

/** The two things a transport must provide; the rest of the client is shared. */
export interface Transport {
  send(method: MethodName, req: unknown): Promise<{ ok: true; r: unknown } | { ok: false; e: ErrorReply }>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
  readonly host: string;
}

export function clientOver(transport: Transport): EngineClient {
  const listeners = new Map<string, Set<(p: never) => void>>();
  transport.subscribe((event, payload) => {
    for (const l of listeners.get(event) ?? []) l(payload as never);
  });
  return {
    host: transport.host,
    async call(method, req) {
      const out = await transport.send(method, req);
      if (!out.ok) throw new EngineError(out.e.code, out.e.message);
      return out.r as never;
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (p: never) => void);
      return () => set.delete(listener as (p: never) => void);
    },
  };
}
