import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { makePng } from '../test/fixtures.js';
import type { BenchRow } from './run.js';

/**
 * Undo at depth: moving the pointer replays the op log and rewrites the materialised layers. The peer is the
 * usual alternative design, a full document snapshot stored with every edit: undo reads one snapshot and
 * rewrites the same layers table, with no replay. Same SQLite settings, same document.
 */
export async function benchStore(): Promise<BenchRow[]> {
  const home = mkdtempSync(join(tmpdir(), 'ganvas-bench-'));
  try {
    const engine = new Engine({ host: 'cli', hostDetail: 'bench', home });
    engine.projects.create('bench', 512, 512, join(home, 'b.ganvas'));
    for (let i = 0; i < 20; i++) await engine.layers.import(`l${i}.png`, await makePng(32, 32, i));
    const ids = (await engine.handlers['project.state']({})).layers.map((l) => l.id);
    for (let i = 0; i < 1000; i++) await engine.handlers['layer.update']({ id: ids[i % ids.length]!, patch: { x: i } });
    const reps = 200;
    let t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      await engine.handlers['history.undo']({});
      await engine.handlers['history.redo']({});
    }
    const ours = (performance.now() - t0) / (2 * reps);
    const doc = (await engine.handlers['project.state']({})).layers;
    engine.close();

    const db = new Database(join(home, 'peer.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE snapshots (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE layers (id TEXT PRIMARY KEY, z INTEGER, name TEXT, asset_hash TEXT, x REAL, y REAL,
        width INTEGER, height INTEGER, visible INTEGER, opacity REAL);
      CREATE TABLE p (id INTEGER PRIMARY KEY, head INTEGER);
      INSERT INTO p VALUES (1, 0);`);
    const putSnap = db.prepare('INSERT INTO snapshots (id, doc) VALUES (?, ?)');
    for (let i = 0; i < 1020; i++) putSnap.run(i, JSON.stringify(doc.map((l) => ({ ...l, x: i }))));
    const getSnap = db.prepare('SELECT doc FROM snapshots WHERE id = ?');
    const ins = db.prepare('INSERT INTO layers VALUES (?,?,?,?,?,?,?,?,?,?)');
    const upd = db.prepare('UPDATE p SET head = ? WHERE id = 1');
    const restore = db.transaction((id: number) => {
      const layers = JSON.parse((getSnap.get(id) as { doc: string }).doc) as typeof doc;
      db.prepare('DELETE FROM layers').run();
      layers.forEach((l, z) => ins.run(l.id, z, l.name, l.assetHash, l.x, l.y, l.width, l.height, l.visible ? 1 : 0, l.opacity));
      upd.run(id);
    });
    t0 = performance.now();
    for (let i = 0; i < 2 * reps; i++) restore(1018 + (i & 1));
    const peer = (performance.now() - t0) / (2 * reps);
    db.close();
    return [{ name: 'undo/redo at 1020 edits, 20 layers', figure: ours, unit: 'ms', peer: 'snapshot-per-edit undo', peerFigure: peer, ratio: peer / ours }];
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

