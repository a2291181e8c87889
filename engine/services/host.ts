import type { EngineInfo } from '../api/index.js';
import { projectsDir } from '../paths.js';
import { probeBackends } from '../runtime/backends.js';
import type { EngineContext, ServiceHandlers } from './context.js';

export const VERSION = '0.1.0';

/** What the host asks of the engine itself: who it is, what compute it found, the jobs running, and stopping one. */
export class HostService {
  constructor(private readonly ctx: EngineContext, private readonly host: { kind: EngineInfo['host']; detail: string }) {}

  setDetail(detail: string): void {
    this.host.detail = detail;
  }

  readonly handlers: ServiceHandlers<'engine.info' | 'job.cancel' | 'job.list'> = {
    'engine.info': () => ({
      version: VERSION, host: this.host.kind, hostDetail: this.host.detail, backends: probeBackends(), projectsDir: projectsDir(this.ctx.home),
    }),
    'job.cancel': (r) => ({ cancelled: this.ctx.jobs.cancel(r.id) }),
    'job.list': () => this.ctx.jobs.list(),
  };
}
