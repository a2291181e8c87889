import { createHash, randomUUID } from 'node:crypto';
import { EngineError } from '../api/errors.js';
import type { Direction, HistoryEntry, Layer, ProjectState } from '../api/schemas.js';
import type { Lease } from './connections.js';
import { buildAtomically, hasTable, openDatabase, type DB } from './db.js';
import { checkLog, damagedError, rootState } from './log-check.js';
import { materialise } from './materialise.js';
import { OpFormatError, opCodec, type OpCodec } from './op-versions.js';
import { applyOp, describeOp, opAssets, type DocState, type Op } from './ops.js';
import { recoverProject, type RecoveryReport } from './recover.js';

export interface NewAsset {
  kind: 'image' | 'mask';
  mime: string;
  width: number;
  height: number;
  bytes: Uint8Array;
}

interface EditRow {
  id: number;
  parent_id: number | null;
  kind: string;
  label: string;
  params: string;
  op_version: number;
  created_at: string;
}

interface ProjectRow {
  name: string;
  width: number;
  height: number;
  doc_width: number;
  doc_height: number;
  head_edit_id: number | null;
}

interface DirectionRow { id: number; model_hash: string; name: string; method: Direction['method']; layer_start: number; layer_end: number; sigma: number; vector: Buffer }

function toDirection(r: DirectionRow): Direction {
  const vector = new Float32Array(r.vector.byteLength / 4);
  new Uint8Array(vector.buffer).set(r.vector);
  return { id: r.id, name: r.name, method: r.method, modelHash: r.model_hash, layerStart: r.layer_start, layerEnd: r.layer_end, sigma: r.sigma, vector };
}

interface LayerRow {
  id: string; name: string; asset_hash: string; x: number; y: number; width: number; height: number;
  visible: number; opacity: number; latent: string | null;
}

export const hashBytes = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
export const newLayerId = (): string => randomUUID().replaceAll('-', '').slice(0, 16);

const RECOVER_HINT = ' (`ganvas project recover FILE` copies the edits that still replay into a new file)';

/**
 * One project file. Edits are appended, never rewritten; the undo pointer (`head_edit_id`) and the materialised
 * document (`layers`, `doc_*`) move together in one transaction, so a killed process leaves either the old or
 * the new state, never a mix. Every ProjectStore of the same file in a process shares one connection
 * (connections.ts); `close` lets go of this one's share.
 */
export class ProjectStore {
  private constructor(
    readonly path: string,
    private readonly lease: Lease,
    private readonly codec: OpCodec,
  ) {}

  private released = false;

  private get db(): DB {
    if (this.released) throw new EngineError('no_project', `${this.path} has been closed`);
    return this.lease.db;
  }

  /** A new project file, created atomically (db.ts, buildAtomically): a kill leaves no file or a complete one. */
  static create(path: string, name: string, width: number, height: number): ProjectStore {
    buildAtomically(path, (db) => {
      db.prepare(
        'INSERT INTO projects (id, name, width, height, doc_width, doc_height, created_at) VALUES (1, ?, ?, ?, ?, ?, ?)',
      ).run(name, width, height, width, height, new Date().toISOString());
    });
    return ProjectStore.open(path);
  }

  /**
   * Opens a project, sharing the connection if this process has it open already. On first open the whole edit log
   * is replayed and checked (log-check.ts): a damaged one is refused with "this project is damaged at edit N: …".
   */
  static open(path: string, opts: { codec?: OpCodec } = {}): ProjectStore {
    const codec = opts.codec ?? opCodec;
    let headState: DocState | undefined;
    let head: number | null = null;
    const lease = openDatabase(path, (db) => {
      if (!hasTable(db, 'projects') || !db.prepare('SELECT 1 FROM projects WHERE id = 1').get()) throw new EngineError('not_a_project', `${path} has no project record`);
      const report = checkLog(db, codec);
      if (report.problems.length) throw damagedError(report.problems[0]!, RECOVER_HINT);
      ({ head, headState } = report);
    });
    const store = new ProjectStore(path, lease, codec);
    if (head !== null && headState) store.remember(head, headState);
    return store;
  }

  /**
   * Copies the good part of a damaged project (every edit whose path from the root replays) into a new file;
   * the damaged file is only read. See recover.ts.
   */
  static recover(path: string, outPath: string): RecoveryReport {
    return recoverProject(path, outPath, opCodec);
  }

  close(): void {
    if (this.released) return;
    this.released = true;
    this.lease.release();
  }

  /** An op read from the log: parsed, upgraded from its version and validated, or "damaged at edit N". */
  private decode(row: { id: number; kind: string; op_version: number; params: string }): Op {
    try {
      return this.codec.decode(row.kind, row.op_version, row.params);
    } catch (err) {
      if (err instanceof OpFormatError) throw damagedError({ editId: row.id, reason: err.message }, RECOVER_HINT);
      throw err;
    }
  }

  private project(): ProjectRow {
    return this.db.prepare('SELECT * FROM projects WHERE id = 1').get() as ProjectRow;
  }

  /** Edits from the root to `editId`, oldest first. */
  private chain(editId: number | null): EditRow[] {
    if (editId === null) return [];
    // Following only links to earlier edits keeps the walk finite even if the file was damaged after it was opened.
    return this.db
      .prepare(
        `WITH RECURSIVE chain(id, depth) AS (
           SELECT ?, 0
           UNION ALL SELECT e.parent_id, c.depth + 1 FROM edits e JOIN chain c ON e.id = c.id WHERE e.parent_id IS NOT NULL AND e.parent_id < e.id)
         SELECT e.* FROM chain c JOIN edits e ON e.id = c.id ORDER BY c.depth DESC`,
      )
      .all(editId) as EditRow[];
  }

  /**
   * Documents already computed, by edit id. Edits are immutable, so an entry never goes stale; it only saves
   * replaying the log from the root on every undo, redo and commit.
   */
  private readonly states = new Map<number, DocState>();
  private static readonly STATE_CACHE = 512;

  private remember(editId: number, state: DocState): void {
    if (this.states.size >= ProjectStore.STATE_CACHE) this.states.delete(this.states.keys().next().value!);
    this.states.set(editId, state);
  }

  /** Replays the op log up to `editId` (from the nearest remembered ancestor): the exact document at that step. */
  stateAt(editId: number | null): DocState {
    const pending: Op[] = [];
    const step = this.db.prepare('SELECT id, parent_id, kind, op_version, params FROM edits WHERE id = ?');
    let id = editId;
    let state: DocState | undefined;
    while (id !== null && !(state = this.states.get(id))) {
      const row = step.get(id) as (Pick<EditRow, 'id' | 'parent_id' | 'kind' | 'op_version' | 'params'>) | undefined;
      if (!row) throw new EngineError('not_found', `no edit ${id} in this project`);
      if (row.parent_id !== null && row.parent_id >= row.id) throw damagedError({ editId: row.id, reason: `its parent link points at edit ${row.parent_id}, which is not earlier in the log` }, RECOVER_HINT);
      pending.push(this.decode(row));
      id = row.parent_id;
    }
    state ??= rootState(this.db);
    for (const op of pending.reverse()) state = applyOp(state, op);
    if (editId !== null) this.remember(editId, state);
    return state;
  }

  /** Redo follows the newest branch, as in every editor with a linear undo. */
  private redoTarget(head: number | null): EditRow | undefined {
    return (
      head === null
        ? this.db.prepare('SELECT * FROM edits WHERE parent_id IS NULL ORDER BY id DESC LIMIT 1').get()
        : this.db.prepare('SELECT * FROM edits WHERE parent_id = ? ORDER BY id DESC LIMIT 1').get(head)
    ) as EditRow | undefined;
  }

  layers(): Layer[] {
    return (this.db.prepare('SELECT * FROM layers ORDER BY z').all() as LayerRow[]).map((r) => ({
      id: r.id, name: r.name, assetHash: r.asset_hash, x: r.x, y: r.y, width: r.width, height: r.height,
      visible: r.visible === 1, opacity: r.opacity, ...(r.latent ? { latent: JSON.parse(r.latent) as Layer['latent'] } : {}),
    }));
  }

  state(): ProjectState {
    const p = this.project();
    const head = p.head_edit_id === null
      ? undefined
      : (this.db.prepare('SELECT label FROM edits WHERE id = ?').get(p.head_edit_id) as { label: string });
    const redo = this.redoTarget(p.head_edit_id);
    return {
      path: this.path, name: p.name, width: p.doc_width, height: p.doc_height, layers: this.layers(),
      headEditId: p.head_edit_id, canUndo: p.head_edit_id !== null, canRedo: redo !== undefined,
      undoLabel: head?.label ?? null, redoLabel: redo?.label ?? null,
    };
  }

  history(): HistoryEntry[] {
    return this.chain(this.project().head_edit_id).map((r) => ({
      id: r.id, parentId: r.parent_id, kind: r.kind, label: r.label, createdAt: r.created_at,
    }));
  }

  private materialise(head: number | null, state = this.stateAt(head)): void {
    materialise(this.db, head, state);
  }

  /** Content-addressed: the same bytes are stored once however many edits use them. */
  putAsset(asset: NewAsset): string {
    const hash = hashBytes(asset.bytes);
    this.db
      .prepare('INSERT OR IGNORE INTO assets (hash, kind, mime, width, height, bytes, created_at) VALUES (?,?,?,?,?,?,?)')
      .run(hash, asset.kind, asset.mime, asset.width, asset.height, Buffer.from(asset.bytes.buffer, asset.bytes.byteOffset, asset.bytes.byteLength), new Date().toISOString());
    return hash;
  }

  getAsset(hash: string): { bytes: Uint8Array; mime: string; width: number; height: number } {
    const row = this.db.prepare('SELECT bytes, mime, width, height FROM assets WHERE hash = ?').get(hash) as
      | { bytes: Buffer; mime: string; width: number; height: number }
      | undefined;
    if (!row) throw new EngineError('not_found', `no asset ${hash.slice(0, 12)}… in this project`);
    return { bytes: new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength), mime: row.mime, width: row.width, height: row.height };
  }

  /**
   * Appends an edit after the undo pointer and moves the pointer to it. `build` sees the current document so it
   * can validate against it, and the hashes of `assets`, which are written in the same transaction.
   */
  commit(build: (doc: DocState, assetHashes: string[]) => Op, assets: NewAsset[] = []): ProjectState {
    const [editId, next] = this.db.transaction((): [number, DocState] => {
      const hashes = assets.map((a) => this.putAsset(a));
      const p = this.project();
      const doc = this.stateAt(p.head_edit_id);
      const { op, version, params } = this.encode(build(doc, hashes));
      const next = applyOp(doc, op); // throws before anything is written if the op does not fit the document
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO edits (parent_id, kind, label, params, op_version, model_id, created_at) VALUES (?,?,?,?,?,?,?)')
        .run(p.head_edit_id, op.kind, describeOp(op, doc), params, version, op.kind === 'inpaint' ? op.model.hash : null, new Date().toISOString());
      const editId = Number(lastInsertRowid);
      for (const [role, hash] of Object.entries(opAssets(op))) {
        this.db.prepare('INSERT INTO edit_assets (edit_id, role, asset_hash) VALUES (?,?,?)').run(editId, role, hash);
      }
      this.materialise(editId, next);
      return [editId, next];
    }).immediate();
    // Only after the commit: a rolled-back id may be handed out again.
    this.remember(editId, next);
    return this.state();
  }

  /** Validates an op before it is written: only valid ops of a known kind, at its current version, enter the log. */
  private encode(op: Op): { op: Op; version: number; params: string } {
    try {
      return this.codec.encode(op);
    } catch (err) {
      if (err instanceof OpFormatError) throw new EngineError('bad_request', `refused to record an edit: ${err.message}`);
      throw err;
    }
  }

  /** A recorded edit: its operation and the document just before it, for re-rendering it. */
  edit(id: number): { op: Op; before: DocState } {
    const row = this.db.prepare('SELECT id, parent_id, kind, op_version, params FROM edits WHERE id = ?').get(id) as
      Pick<EditRow, 'id' | 'parent_id' | 'kind' | 'op_version' | 'params'> | undefined;
    if (!row) throw new EngineError('not_found', `no edit ${id} in this project`);
    return { op: this.decode(row), before: this.stateAt(row.parent_id) };
  }

  undo(): ProjectState {
    this.db.transaction(() => {
      const head = this.project().head_edit_id;
      if (head === null) throw new EngineError('conflict', 'nothing to undo');
      const row = this.db.prepare('SELECT parent_id FROM edits WHERE id = ?').get(head) as { parent_id: number | null } | undefined;
      if (!row) throw damagedError({ editId: head, reason: `the undo pointer names edit ${head}, which is not in the log` }, RECOVER_HINT);
      this.materialise(row.parent_id);
    }).immediate();
    return this.state();
  }

  redo(): ProjectState {
    this.db.transaction(() => {
      const target = this.redoTarget(this.project().head_edit_id);
      if (!target) throw new EngineError('conflict', 'nothing to redo');
      this.materialise(target.id);
    }).immediate();
    return this.state();
  }

  /** Records a model version (idempotent): edits made with it keep a reference that survives its removal. */
  registerModel(m: { hash: string; id: string; kind: string; name: string; licence: string; source: string; parentHash: string | null }): void {
    this.db
      .prepare(`INSERT OR IGNORE INTO models (hash, id, kind, name, licence, source, parent_hash, registered_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(m.hash, m.id, m.kind, m.name, m.licence, m.source, m.parentHash, new Date().toISOString());
  }

  models(): { hash: string; id: string; kind: string; licence: string }[] {
    return this.db.prepare('SELECT hash, id, kind, licence FROM models ORDER BY id').all() as { hash: string; id: string; kind: string; licence: string }[];
  }

  /** Stores a w+ latent (content-addressed: the same values are stored once) and returns its hash. */
  putLatent(modelHash: string, rows: number, dim: number, data: Float32Array, origin: Record<string, unknown>): string {
    if (data.length !== rows * dim) throw new EngineError('bad_request', `a latent of ${data.length} values is not ${rows}×${dim}`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const hash = createHash('sha256').update(modelHash).update(bytes).digest('hex');
    this.db.prepare(`INSERT OR IGNORE INTO latents (hash, model_hash, space, rows, dim, data, origin, created_at) VALUES (?, ?, 'w+', ?, ?, ?, ?, ?)`)
      .run(hash, modelHash, rows, dim, Buffer.from(bytes), JSON.stringify(origin), new Date().toISOString());
    return hash;
  }

  getLatent(hash: string): { modelHash: string; rows: number; dim: number; data: Float32Array; origin: Record<string, unknown> } {
    const row = this.db.prepare('SELECT model_hash, rows, dim, data, origin FROM latents WHERE hash = ?').get(hash) as
      | { model_hash: string; rows: number; dim: number; data: Buffer; origin: string } | undefined;
    if (!row) throw new EngineError('not_found', `no latent ${hash.slice(0, 12)}… in this project`);
    const data = new Float32Array(row.data.byteLength / 4);
    new Uint8Array(data.buffer).set(row.data);
    return { modelHash: row.model_hash, rows: row.rows, dim: row.dim, data, origin: JSON.parse(row.origin) };
  }

  saveDirection(d: Omit<Direction, 'id'>): Direction {
    const bytes = Buffer.from(d.vector.buffer, d.vector.byteOffset, d.vector.byteLength);
    const { lastInsertRowid } = this.db.prepare(`INSERT INTO directions (model_hash, name, method, layer_start, layer_end, sigma, vector, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(d.modelHash, d.name, d.method, d.layerStart, d.layerEnd, d.sigma, bytes, new Date().toISOString());
    return { ...d, id: Number(lastInsertRowid) };
  }

  directions(modelHash?: string): Direction[] {
    const rows = (modelHash
      ? this.db.prepare('SELECT * FROM directions WHERE model_hash = ? ORDER BY id').all(modelHash)
      : this.db.prepare('SELECT * FROM directions ORDER BY id').all()) as DirectionRow[];
    return rows.map(toDirection);
  }

  /** One direction by id (read on every slider frame, so without the others' vectors). */
  direction(id: number): Direction | undefined {
    const row = this.db.prepare('SELECT * FROM directions WHERE id = ?').get(id) as DirectionRow | undefined;
    return row && toDirection(row);
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  /** Rows that break a foreign key (`PRAGMA foreign_key_check`); empty for a sound file. */
  foreignKeyProblems(): unknown[] {
    return this.db.pragma('foreign_key_check') as unknown[];
  }

  editCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM edits').get() as { n: number }).n;
  }
}
