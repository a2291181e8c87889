import { EngineError } from '../api/errors.js';
import { buildAtomically, openDatabaseAsIs, type DB } from './db.js';
import { checkLog, type EditProblem, type GoodEdit } from './log-check.js';
import { materialise } from './materialise.js';
import { migrations } from './migrations.js';
import type { OpCodec } from './op-versions.js';
import { opAssets } from './ops.js';

export interface RecoveryReport {
  path: string;
  /** Edits copied (every edit whose whole path from the root replays), of `total`. */
  kept: number;
  total: number;
  /** The edits left behind and why. */
  dropped: EditProblem[];
  /** The undo pointer of the new file: the old one if it was good, else its nearest good ancestor, else the newest good edit. */
  head: number | null;
}

/**
 * Copies the good part of a damaged project into a new file at `outPath` (created atomically; the damaged file
 * is only read). Edits keep their ids, labels and dates, are stored at their kinds' current versions, and the
 * models, latents and directions come along; assets only as far as the kept edits use them.
 */
export function recoverProject(path: string, outPath: string, codec: OpCodec): RecoveryReport {
  const lease = openDatabaseAsIs(path);
  try {
    const src = lease.db;
    const version = src.pragma('user_version', { simple: true }) as number;
    if (version > migrations.length) throw new EngineError('not_a_project', `project schema v${version} is newer than this Ganvas (v${migrations.length})`);
    const report = checkLog(src, codec, { keepStates: true });
    const total = (src.prepare('SELECT COUNT(*) AS n FROM edits').get() as { n: number }).n;
    const keptIds = new Set(report.good.map((e) => e.id));
    const head = recoveredHead(src, report.head, keptIds);
    buildAtomically(outPath, (dst) => {
      copyProjectRow(src, dst);
      copyTable(src, dst, 'models');
      copyTable(src, dst, 'latents');
      copyTable(src, dst, 'directions');
      copyEdits(src, dst, report.good, codec);
      materialise(dst, head, head === null ? report.headState ?? rootOf(dst) : report.states.get(head)!);
    });
    return { path: outPath, kept: report.good.length, total, dropped: report.problems, head };
  } finally {
    lease.release();
  }
}

function rootOf(db: DB) {
  const p = db.prepare('SELECT width, height FROM projects WHERE id = 1').get() as { width: number; height: number };
  return { width: p.width, height: p.height, layers: [] };
}

function recoveredHead(src: DB, head: number | null, kept: Set<number>): number | null {
  if (head === null || kept.has(head)) return head;
  const parent = src.prepare('SELECT parent_id AS p FROM edits WHERE id = ?').pluck();
  // Walk up only along links to earlier edits, so a cycle cannot trap the walk.
  for (let id: number | null = head; id !== null;) {
    if (kept.has(id)) return id;
    const p = parent.get(id) as number | null | undefined;
    if (p === undefined) break; // the pointer (or a link) names an edit that is not there
    id = p !== null && p < id ? p : null;
  }
  return kept.size ? Math.max(...kept) : null;
}

function copyProjectRow(src: DB, dst: DB): void {
  const p = src.prepare('SELECT name, width, height, created_at FROM projects WHERE id = 1').get() as
    { name: string; width: number; height: number; created_at: string } | undefined;
  if (!p) throw new EngineError('not_a_project', 'this file has no project record: nothing to recover');
  dst.prepare('INSERT INTO projects (id, name, width, height, doc_width, doc_height, created_at) VALUES (1, ?, ?, ?, ?, ?, ?)')
    .run(p.name, p.width, p.height, p.width, p.height, p.created_at);
}

/** Copies the rows of a table the edits do not own, column by column as both files have them. */
function copyTable(src: DB, dst: DB, table: 'models' | 'latents' | 'directions'): void {
  const have = new Set((dst.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]));
  const cols = (src.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]).filter((c) => have.has(c));
  if (cols.length === 0) return;
  const insert = dst.prepare(`INSERT OR IGNORE INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  for (const row of src.prepare(`SELECT ${cols.join(', ')} FROM ${table}`).raw().iterate() as IterableIterator<unknown[]>) insert.run(...row);
}

function copyEdits(src: DB, dst: DB, good: GoodEdit[], codec: OpCodec): void {
  const asset = src.prepare('SELECT hash, kind, mime, width, height, bytes, created_at FROM assets WHERE hash = ?').raw();
  const putAsset = dst.prepare('INSERT OR IGNORE INTO assets (hash, kind, mime, width, height, bytes, created_at) VALUES (?,?,?,?,?,?,?)');
  const putEdit = dst.prepare('INSERT INTO edits (id, parent_id, kind, label, params, model_id, created_at, op_version) VALUES (?,?,?,?,?,?,?,?)');
  const putLink = dst.prepare('INSERT INTO edit_assets (edit_id, role, asset_hash) VALUES (?,?,?)');
  for (const e of good) {
    const { params, version } = codec.encode(e.op);
    const links = Object.entries(opAssets(e.op));
    for (const [, hash] of links) putAsset.run(...(asset.get(hash) as unknown[]));
    putEdit.run(e.id, e.parentId, e.op.kind, e.row.label, params, e.row.model_id, e.row.created_at, version);
    for (const [role, hash] of links) putLink.run(e.id, role, hash);
  }
}
