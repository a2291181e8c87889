import { isMethodName, methods, type MethodName, type ParsedRequest, type Reply } from './contract.js';
import { EngineError } from './errors.js';
import { checkRequest, describeValue, jobMethods, limits } from './limits.js';
import type { ErrorReply } from './schemas.js';

export type Handlers = { [M in MethodName]: (req: ParsedRequest<M>) => Promise<Reply<M>> | Reply<M> };

export type Outcome = { ok: true; r: unknown } | { ok: false; e: ErrorReply };

/**
 * The boundary: the one place a request from any transport is checked against the contract before a handler
 * sees it, and the one place an error becomes a reply.
 */
export function createDispatcher(handlers: Handlers, onInternalError: (err: unknown) => void = () => {}) {
  let jobs = 0;
  return async function dispatch(method: unknown, payload: unknown): Promise<Outcome> {
    let counted = false;
    try {
      if (typeof method !== 'string') throw new EngineError('bad_request', `a method name is a string, not ${describeValue(method)}`);
      if (!isMethodName(method)) throw new EngineError('unknown_method', `unknown method ${describeValue(method)}`);
      checkRequest(method, payload);
      const parsed = methods[method].request.safeParse(payload ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`);
        throw new EngineError('bad_request', `${method}: ${issues.join('; ')}`);
      }
      if (jobMethods.has(method)) {
        if (jobs >= limits.maxConcurrentJobs) {
          throw new EngineError('conflict', `${method}: ${limits.maxConcurrentJobs} long tasks are already running; try again when one has finished`);
        }
        jobs++;
        counted = true;
      }
      const handler = handlers[method] as (r: unknown) => unknown;
      return { ok: true, r: await handler(parsed.data) };
    } catch (err) {
      if (err instanceof EngineError) return { ok: false, e: { code: err.code, message: err.message } };
      onInternalError(err);
      return { ok: false, e: { code: 'internal', message: err instanceof Error ? err.message : String(err) } };
    } finally {
      if (counted) jobs--;
    }
  };
}
