import { randomUUID } from 'node:crypto';
import { EngineError } from '../api/errors.js';
import type { JobState } from '../api/schemas.js';

export interface JobEvents {
  state(e: { id: string; kind: string; state: JobState; error?: string }): void;
  progress(e: { id: string; done: number; total: number; message?: string }): void;
}

export interface JobContext {
  readonly signal: AbortSignal;
  progress(done: number, total: number, message?: string): void;
}

/**
 * Long work: every job is announced, reports progress and can be cancelled. Jobs run concurrently with the
 * engine's other requests; heavy compute inside them belongs in worker threads.
 */
export class JobQueue {
  private readonly running = new Map<string, AbortController>();
  /** Each running job's kind and last progress, for a client that connects mid-run. */
  private readonly status = new Map<string, { id: string; kind: string; done: number; total: number; message?: string }>();
  constructor(private readonly events: JobEvents) {}

  /** Starts a job and returns its id at once, for work that outlives the request that started it. */
  start<T>(kind: string, work: (ctx: JobContext) => Promise<T>): { id: string; result: Promise<T> } {
    const id = randomUUID();
    const result = this.run(kind, work, id);
    result.catch(() => {}); // reported through the job.state event
    return { id, result };
  }

  async run<T>(kind: string, work: (ctx: JobContext) => Promise<T>, id: string = randomUUID()): Promise<T> {
    const ctl = new AbortController();
    this.running.set(id, ctl);
    this.status.set(id, { id, kind, done: 0, total: 0 });
    this.events.state({ id, kind, state: 'running' });
    try {
      const result = await work({
        signal: ctl.signal,
        progress: (done, total, message) => {
          this.status.set(id, { id, kind, done, total, ...(message === undefined ? {} : { message }) });
          this.events.progress({ id, done, total, message });
        },
      });
      if (ctl.signal.aborted) throw new EngineError('cancelled', `${kind} was cancelled`);
      this.events.state({ id, kind, state: 'done' });
      return result;
    } catch (err) {
      const cancelled = ctl.signal.aborted;
      this.events.state({
        id, kind, state: cancelled ? 'cancelled' : 'failed',
        error: err instanceof Error ? err.message : String(err),
      });
      throw cancelled && !(err instanceof EngineError) ? new EngineError('cancelled', `${kind} was cancelled`) : err;
    } finally {
      this.running.delete(id);
      this.status.delete(id);
    }
  }

  list(): { id: string; kind: string; done: number; total: number; message?: string }[] {
    return [...this.status.values()];
  }

  cancel(id: string): boolean {
    const ctl = this.running.get(id);
    ctl?.abort();
    return ctl !== undefined;
  }
}
