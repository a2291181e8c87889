import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { ProjectState } from '../api/index.js';
import { EngineError } from '../api/errors.js';
import { checkDocumentSize } from '../api/index.js';
import { compositeLayers, decodeRgba, encodePng } from '../image/composite.js';
import { defaultProjectPath, projectsDir } from '../paths.js';
import { RecentProjects } from '../recent.js';
import { ProjectStore } from '../store/project-store.js';
import type { EngineContext, ServiceHandlers } from './context.js';
import { safeFileName, type ModelsService } from './models.js';

/** Project files: create, open, the recent list, the current state and the exported composite. */
export class ProjectService {
  private readonly recent: RecentProjects;

  constructor(private readonly ctx: EngineContext, private readonly models: ModelsService) {
    this.recent = new RecentProjects(ctx.home);
  }

  private adopt(next: ProjectStore, name: string): ProjectState {
    this.ctx.project.replace(next);
    this.models.registerAll(next);
    const state = next.state();
    this.recent.touch(next.path, name || state.name);
    return this.ctx.changed(state);
  }

  open(path: string): ProjectState {
    return this.adopt(ProjectStore.open(resolve(path)), '');
  }

  create(name: string, width: number, height: number, path?: string): ProjectState {
    const file = resolve(path ?? join(projectsDir(this.ctx.home), `${safeFileName(name)}.ganvas`));
    mkdirSync(resolve(file, '..'), { recursive: true });
    return this.adopt(ProjectStore.create(file, name, width, height), name);
  }

  /** Opens `path`, creating it first if it does not exist; without a path, the default project. */
  openOrCreate(path?: string): ProjectState {
    const file = resolve(path ?? defaultProjectPath(this.ctx.home));
    try {
      return this.open(file);
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'not_found')) throw err;
      return this.create(basename(file, extname(file)), 1280, 800, file);
    }
  }

  recentPaths(): string[] {
    return this.recent.list().map((r) => r.path);
  }

  /** The composite of the visible layers as PNG, as a job with progress. */
  export(): Promise<{ png: Uint8Array; width: number; height: number }> {
    return this.ctx.jobs.run('export', async (job) => {
      const store = this.ctx.project.get();
      const { width, height, layers } = store.state();
      checkDocumentSize(width, height); // before allocating the composite
      let done = 0;
      const rgba = await compositeLayers(width, height, layers, {
        rgba: async (hash) => {
          job.progress(done++, layers.length, 'compositing');
          return decodeRgba(store.getAsset(hash).bytes);
        },
      });
      job.progress(layers.length, layers.length, 'encoding');
      return { png: await encodePng(rgba, width, height), width, height };
    });
  }

  readonly handlers: ServiceHandlers<'project.create' | 'project.open' | 'project.recent' | 'project.state' | 'project.export'> = {
    'project.create': (r) => this.create(r.name, r.width, r.height, r.path === undefined ? undefined : this.ctx.files.project(r.path, 'create')),
    'project.open': (r) => this.open(this.ctx.files.project(r.path, 'open')),
    'project.recent': () => this.recent.list(),
    'project.state': () => this.ctx.project.get().state(),
    'project.export': () => this.export(),
  };
}
