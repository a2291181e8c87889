import type { EventPayload } from '@engine/api';

export interface JobView {
  id: string;
  kind: string;
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  done: number;
  total: number;
  message?: string;
  error?: string;
  startedAt: number;
  /** Seconds left, from the rate so far (null until there is one). */
  eta: number | null;
  /** Training losses read from the progress messages ("… · G 1.234 · D 0.567 · …"), oldest first. */
  losses: { g: number; d: number }[];
}

const LOSSES = /\bG (-?[\d.]+) · D (-?[\d.]+)/;

/** Every engine job this window has heard of, from the job.state and job.progress events. */
export class Jobs {
  list = $state<JobView[]>([]);

  running(kind?: string): boolean {
    return this.list.some((j) => (j.state === 'running' || j.state === 'queued') && (!kind || j.kind === kind));
  }

  /** The running job shown in the status bar: the newest. */
  get current(): JobView | null {
    return this.list.findLast((j) => j.state === 'running') ?? null;
  }

  onState(e: EventPayload<'job.state'>): void {
    const j = this.list.find((x) => x.id === e.id);
    if (j) {
      j.state = e.state;
      j.kind = e.kind;
      j.error = e.error;
    } else this.list.push({ id: e.id, kind: e.kind, state: e.state, done: 0, total: 0, error: e.error, startedAt: performance.now(), eta: null, losses: [] });
    if (e.state !== 'running' && e.state !== 'queued') {
      setTimeout(() => (this.list = this.list.filter((x) => x.id !== e.id)), e.state === 'done' ? 2500 : 8000);
    }
  }

  onProgress(p: EventPayload<'job.progress'>): void {
    let j = this.list.find((x) => x.id === p.id);
    if (!j) {
      this.list.push({ id: p.id, kind: 'job', state: 'running', done: 0, total: 0, startedAt: performance.now(), eta: null, losses: [] });
      j = this.list.at(-1)!;
    }
    j.done = p.done;
    j.total = p.total;
    j.message = p.message;
    const m = p.message?.match(LOSSES);
    if (m) j.losses = [...j.losses.slice(-199), { g: Number(m[1]), d: Number(m[2]) }];
    const elapsed = (performance.now() - j.startedAt) / 1000;
    j.eta = p.done > 0 && p.total > p.done ? (elapsed / p.done) * (p.total - p.done) : null;
  }
}
