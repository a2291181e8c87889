import { EngineError } from '../api/errors.js';
import type { EngineContext, Rerender, Rerenderer, RerenderRegistry, ServiceHandlers } from './context.js';

/**
 * The op log as the user sees it: list, undo, redo, and re-rendering a generated edit from its recorded inputs.
 * Which op kinds can be re-rendered, and how, is registered by the service that records them.
 */
export class HistoryService {
  constructor(private readonly ctx: EngineContext, private readonly rerenderers: RerenderRegistry) {}

  async rerender(editId: number): Promise<Rerender & { editId: number }> {
    const store = this.ctx.project.get();
    const { op, before } = store.edit(editId);
    const compute = this.rerenderers[op.kind] as Rerenderer | undefined;
    if (!compute) throw new EngineError('bad_request', `edit ${editId} (${op.kind}) has nothing to compute: only generated edits can be re-rendered`);
    return { editId, ...(await compute(op, before, store)) };
  }

  readonly handlers: ServiceHandlers<'history.list' | 'history.undo' | 'history.redo' | 'history.rerender'> = {
    'history.list': () => this.ctx.project.get().history(),
    'history.undo': () => this.ctx.changed(this.ctx.project.get().undo()),
    'history.redo': () => this.ctx.changed(this.ctx.project.get().redo()),
    'history.rerender': (r) => this.rerender(r.editId),
  };
}
