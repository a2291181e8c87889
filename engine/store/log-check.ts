import { EngineError } from '../api/errors.js';
import { hasTable, type DB } from './db.js';
import { OpFormatError, type OpCodec } from './op-versions.js';
import { applyOp, opAssets, type DocState, type Op } from './ops.js';

/** One edit that cannot be replayed, and why (in words for "this project is damaged at edit N: …"). */
export interface EditProblem {
  editId: number;
  reason: string;
}

export interface GoodEdit {
  id: number;
  parentId: number | null;
  op: Op;
  row: { label: string; created_at: string; model_id: string | null };
}

export interface LogReport {
  /** Every edit whose whole path from the root replays, in id order. */
  good: GoodEdit[];
  /** The others, each with the first reason found; an edit after a damaged one is reported as following it. */
  problems: EditProblem[];
  head: number | null;
  /** The document at the undo pointer when it is good (saves the first replay after opening). */
  headState: DocState | undefined;
  /** Documents at good edits; only kept when asked for (recovery rebuilds from them). */
  states: Map<number, DocState>;
}

interface Row {
  id: number;
  parent_id: number | null;
  kind: string;
  params: string;
  op_version: number;
  label: string;
  created_at: string;
  model_id: string | null;
}

/** The root document: the project's size, no layers. */
export function rootState(db: DB): DocState {
  if (!hasTable(db, 'projects')) throw new EngineError('not_a_project', 'this file has no project record');
  const p = db.prepare('SELECT width, height FROM projects WHERE id = 1').get() as { width: number; height: number } | undefined;
  if (!p) throw new EngineError('not_a_project', 'this file has no project record');
  return { width: p.width, height: p.height, layers: [] };
}

/** The error a damaged log gives when it is opened (the first damaged edit by id). */
export function damagedError(problem: EditProblem, hint = ''): EngineError {
  return new EngineError('not_a_project', `this project is damaged at edit ${problem.editId}: ${problem.reason}${hint}`);
}

const describe = (err: unknown) => (err instanceof OpFormatError || err instanceof EngineError ? err.message : `unexpected error: ${String(err)}`);

/**
 * Replays the whole edit tree once, in id order, and reports every edit that cannot be replayed: a parent link that
 * does not point to an earlier edit (a cycle can only be made of such links, since a commit's parent is always an
 * existing, hence earlier, edit), a missing parent, params that are not a valid op of their kind and version, an
 * unknown kind, an op that needs an asset or latent the file does not hold, an op that does not apply to the
 * document before it, and an undo pointer at an edit that is not in the log. Never loops and never reads past a
 * bad link, so a damaged file gives a clear answer instead of a hang or a TypeError.
 */
export function checkLog(db: DB, codec: OpCodec, opts: { keepStates?: boolean } = {}): LogReport {
  const root = rootState(db);
  const hasVersions = (db.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('edits') WHERE name = 'op_version'").get() as { n: number }).n > 0;
  const rows = db.prepare(
    `SELECT id, parent_id, kind, params, ${hasVersions ? 'op_version' : '1 AS op_version'}, label, created_at, model_id FROM edits ORDER BY id`,
  );
  // Children still to replay per edit, so a document is dropped once its last child has used it.
  const pendingChildren = new Map<number, number>();
  for (const r of db.prepare('SELECT parent_id AS p, COUNT(*) AS n FROM edits WHERE parent_id IS NOT NULL GROUP BY parent_id').all() as { p: number; n: number }[]) {
    pendingChildren.set(r.p, r.n);
  }
  const assetExists = db.prepare('SELECT 1 FROM assets WHERE hash = ?').pluck();
  // Files from before latents existed (schema v2 and older) have no latent ops either.
  const latentExists = hasTable(db, 'latents') ? db.prepare('SELECT 1 FROM latents WHERE hash = ?').pluck() : { get: () => undefined };
  const states = new Map<number, DocState>();
  const kept = new Map<number, DocState>();
  const ids = new Set<number>();
  const bad = new Set<number>();
  const good: GoodEdit[] = [];
  const problems: EditProblem[] = [];
  const head = headOf(db);

  for (const row of rows.iterate() as IterableIterator<Row>) {
    ids.add(row.id);
    const reason = ((): string | DocState => {
      const p = row.parent_id;
      if (p !== null && p >= row.id) return `its parent link points at edit ${p}, which is not earlier in the log (a cycle or a forward link)`;
      if (p !== null && bad.has(p)) return `it follows damaged edit ${p}`;
      if (p !== null && !states.has(p)) return `its parent, edit ${p}, is not in the log`;
      let op: Op;
      try {
        op = codec.decode(row.kind, row.op_version, row.params);
      } catch (err) {
        return describe(err);
      }
      for (const hash of Object.values(opAssets(op))) {
        if (!assetExists.get(hash)) return `it needs image ${hash.slice(0, 12)}…, which is not in the file`;
      }
      for (const hash of latentsOf(op)) {
        if (!latentExists.get(hash)) return `it needs latent ${hash.slice(0, 12)}…, which is not in the file`;
      }
      try {
        const next = applyOp(p === null ? root : states.get(p)!, op);
        good.push({ id: row.id, parentId: p, op, row: { label: row.label, created_at: row.created_at, model_id: row.model_id } });
        return next;
      } catch (err) {
        return `it does not apply to the document before it (${describe(err)})`;
      }
    })();
    if (typeof reason === 'string') {
      bad.add(row.id);
      problems.push({ editId: row.id, reason });
    } else {
      states.set(row.id, reason);
      if (opts.keepStates) kept.set(row.id, reason);
    }
    if (row.parent_id !== null && states.has(row.parent_id)) {
      const left = (pendingChildren.get(row.parent_id) ?? 1) - 1;
      pendingChildren.set(row.parent_id, left);
      if (left <= 0 && row.parent_id !== head) states.delete(row.parent_id);
    }
  }

  if (head !== null && !ids.has(head)) problems.push({ editId: head, reason: `the undo pointer names edit ${head}, which is not in the log` });
  problems.sort((a, b) => a.editId - b.editId);
  return { good, problems, head, headState: head === null ? root : states.get(head), states: kept };
}

const headOf = (db: DB): number | null =>
  (db.prepare('SELECT head_edit_id AS h FROM projects WHERE id = 1').get() as { h: number | null }).h;

/** Latents an op refers to (not tied to edits by a foreign key, so checked here). */
function latentsOf(op: Op): string[] {
  if (op.kind === 'latent.place') return [op.layer.latent.latentHash];
  if (op.kind === 'latent.edit') return [op.latentHash];
  if (op.kind === 'latent.local') return [op.editedLatentHash];
  return [];
}
