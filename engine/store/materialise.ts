import type { DB } from './db.js';
import type { DocState } from './ops.js';

/**
 * Writes the document at the undo pointer into `projects` and `layers`: what a project shows without replaying
 * its log. Callers run it in the same transaction as the pointer move (or the build of a new file).
 */
export function materialise(db: DB, head: number | null, state: DocState): void {
  db.prepare('UPDATE projects SET head_edit_id = ?, doc_width = ?, doc_height = ? WHERE id = 1').run(head, state.width, state.height);
  db.prepare('DELETE FROM layers').run();
  const insert = db.prepare(
    'INSERT INTO layers (id, z, name, asset_hash, x, y, width, height, visible, opacity, latent) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
  );
  state.layers.forEach((l, z) =>
    insert.run(l.id, z, l.name, l.assetHash, l.x, l.y, l.width, l.height, l.visible ? 1 : 0, l.opacity, l.latent ? JSON.stringify(l.latent) : null),
  );
}
