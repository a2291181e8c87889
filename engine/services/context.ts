import type { EventName, EventPayload, Handlers, MethodName, ProjectState } from '../api/index.js';
import { EngineError } from '../api/errors.js';
import type { FileAccessPolicy } from '../files/policy.js';
import type { JobQueue } from '../jobs/queue.js';
import type { ModelRegistry } from '../runtime/registry.js';
import type { DocState, Op } from '../store/ops.js';
import type { ProjectStore } from '../store/project-store.js';

/** The contract methods a service serves: the composition root checks that together they serve them all. */
export type ServiceHandlers<K extends MethodName> = Pick<Handlers, K>;

/** A recorded generated edit computed again from its inputs, with whether it matches the stored pixels. */
export interface Rerender {
  identical: boolean;
  png: Uint8Array;
}

/** Computes one op kind again; each service registers the kinds it records (docs/ARCHITECTURE.md, "Feature services"). */
export type Rerenderer<K extends Op['kind'] = Op['kind']> = (op: Extract<Op, { kind: K }>, before: DocState, store: ProjectStore) => Promise<Rerender>;
export type RerenderRegistry = { [K in Op['kind']]?: Rerenderer<K> };

/** The one project open in this engine; services reach it through here, never hold it. */
export class OpenProject {
  private current: ProjectStore | null = null;

  get(): ProjectStore {
    if (!this.current) throw new EngineError('no_project', 'no project is open');
    return this.current;
  }

  peek(): ProjectStore | null {
    return this.current;
  }

  replace(next: ProjectStore | null): void {
    if (this.current !== next) this.current?.close();
    this.current = next;
  }
}

/** What every feature service is given by the composition root (engine/engine.ts). */
export interface EngineContext {
  readonly home: string;
  readonly project: OpenProject;
  readonly registry: ModelRegistry;
  /** Every path a request names goes through this (docs/ARCHITECTURE.md, "Security"). */
  readonly files: FileAccessPolicy;
  readonly jobs: JobQueue;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Announces a new document state to every client and returns it (the reply of an editing method). */
  changed(state: ProjectState): ProjectState;
}
