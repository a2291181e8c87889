import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ProjectState } from '../engine/api/schemas.js';
import { EngineError } from '../engine/api/errors.js';
import { Engine } from '../engine/engine.js';
import { ProjectStore } from '../engine/store/project-store.js';
import { makePng, tempDir } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'ganvas.js');

/**
 * Five edits in a line — import a, import b, move a, hide b, fade a — and the state after each, as the engine
 * reported it when the edit was made.
 */
async function fiveEdits(): Promise<{ home: string; file: string; after: ProjectState[] }> {
  const home = tempDir();
  const file = join(home, 'p.ganvas');
  const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
  engine.projects.create('P', 64, 64, file);
  const after: ProjectState[] = [];
  after.push(await engine.layers.import('a.png', await makePng(16, 16, 1)));
  after.push(await engine.layers.import('b.png', await makePng(16, 16, 2)));
  const [a, b] = after[1]!.layers.map((l) => l.id) as [string, string];
  after.push(await engine.handlers['layer.update']({ id: a, patch: { x: 7 } }));
  after.push(await engine.handlers['layer.update']({ id: b, patch: { visible: false } }));
  after.push(await engine.handlers['layer.update']({ id: a, patch: { opacity: 0.5 } }));
  engine.close();
  return { home, file, after };
}

/** Damages the closed file with raw SQL, as a bug, a disk or another program could. */
function damage(file: string, sql: string): void {
  const db = new Database(file);
  db.pragma('foreign_keys = OFF');
  db.exec(sql);
  db.close();
}

function openError(file: string): EngineError {
  const started = Date.now();
  try {
    ProjectStore.open(file).close();
  } catch (err) {
    expect(Date.now() - started).toBeLessThan(5000); // an answer, not a hang
    expect(err).toBeInstanceOf(EngineError);
    return err as EngineError;
  }
  throw new Error('the damaged project opened');
}

const damages: [string, string, RegExp][] = [
  ['a cycle in the parent links', 'UPDATE edits SET parent_id = 4 WHERE id = 2', /^this project is damaged at edit 2: its parent link points at edit 4, which is not earlier in the log/],
  ['an undo pointer at a missing edit', 'UPDATE projects SET head_edit_id = 99', /^this project is damaged at edit 99: the undo pointer names edit 99, which is not in the log/],
  ['params that are not an op', `UPDATE edits SET params = '{"kind":"layer.update","patch":{"x":"far"}}' WHERE id = 3`, /^this project is damaged at edit 3: its parameters are not a valid layer.update v1 op \(id: .*patch.x: /],
  ['params that are JSON but not an object', `UPDATE edits SET params = '[]' WHERE id = 3`, /^this project is damaged at edit 3: its parameters are not a valid layer.update v1 op/],
  ['an unknown op kind', `UPDATE edits SET kind = 'layer.explode', params = json_set(params, '$.kind', 'layer.explode') WHERE id = 3`, /^this project is damaged at edit 3: unknown op kind "layer.explode"/],
  ['an edit of a layer that is not there', `UPDATE edits SET params = json_set(params, '$.id', 'ghost') WHERE id = 3`, /^this project is damaged at edit 3: it does not apply to the document before it \(no layer ghost in this project\)/],
  ['a missing parent', 'DELETE FROM edit_assets WHERE edit_id = 1; DELETE FROM edits WHERE id = 1', /^this project is damaged at edit 2: its parent, edit 1, is not in the log/],
  ['a missing image', 'DELETE FROM edit_assets WHERE edit_id = 2; DELETE FROM assets WHERE hash = (SELECT json_extract(params, \'$.layer.assetHash\') FROM edits WHERE id = 2)', /^this project is damaged at edit 2: it needs image [0-9a-f]{12}…, which is not in the file/],
];

describe('a damaged project', () => {
  for (const [what, sql, message] of damages) {
    it(`is refused on open with the edit and the reason: ${what}`, async () => {
      const { file } = await fiveEdits();
      damage(file, sql);
      const err = openError(file);
      expect(err.code).toBe('not_a_project');
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(/ganvas project recover FILE/);
    });
  }

  it('recovers the good edits into a new file, leaving the damaged one as it was', async () => {
    const { home, file, after } = await fiveEdits();
    damage(file, `UPDATE edits SET params = '{"kind":"layer.update"}' WHERE id = 4`);
    const damagedBytes = readFileSync(file);
    const out = join(home, 'recovered.ganvas');
    const report = ProjectStore.recover(file, out);
    expect(report).toMatchObject({ path: out, kept: 3, total: 5, head: 3 });
    expect(report.dropped.map((d) => d.editId)).toEqual([4, 5]);
    expect(report.dropped[1]!.reason).toBe('it follows damaged edit 4');
    expect(readFileSync(file).equals(damagedBytes)).toBe(true);

    const store = ProjectStore.open(out);
    const { path: _p, ...state } = store.state();
    const { path: _q, ...at3 } = after[2]!;
    expect(state).toEqual({ ...at3, canRedo: false, redoLabel: null });
    expect(store.history().map((h) => h.label)).toEqual(['Import a.png', 'Import b.png', 'Move a.png']);
    expect(store.undo().layers).toEqual(after[1]!.layers);
    expect(store.redo().layers).toEqual(after[2]!.layers);
    for (const l of state.layers) expect(store.getAsset(l.assetHash).bytes.byteLength).toBeGreaterThan(0);
    expect(store.integrityCheck()).toBe('ok');
    expect(store.foreignKeyProblems()).toEqual([]);
    store.close();
  });

  it('recovery keeps a good branch beside a damaged one, and follows a cycle no further than its first bad link', async () => {
    const home = tempDir();
    const file = join(home, 'p.ganvas');
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
    engine.projects.create('P', 64, 64, file);
    const a = (await engine.layers.import('a.png', await makePng(16, 16, 1))).layers[0]!.id;
    await engine.handlers['layer.update']({ id: a, patch: { x: 1 } }); // 2
    await engine.handlers['layer.update']({ id: a, patch: { x: 2 } }); // 3, on the branch given up below
    await engine.handlers['history.undo']({});
    await engine.handlers['history.undo']({});
    const branch = await engine.handlers['layer.update']({ id: a, patch: { y: 9 } }); // 4, child of 1
    engine.close();
    damage(file, 'UPDATE edits SET parent_id = 3 WHERE id = 2'); // 2 ↔ 3: a cycle

    expect(openError(file).message).toMatch(/^this project is damaged at edit 2: its parent link points at edit 3/);
    const report = ProjectStore.recover(file, join(home, 'r.ganvas'));
    expect(report).toMatchObject({ kept: 2, total: 4, head: 4 });
    expect(report.dropped.map((d) => d.editId)).toEqual([2, 3]);
    const store = ProjectStore.open(join(home, 'r.ganvas'));
    expect(store.state().layers).toEqual(branch.layers);
    store.close();
  });

  it('`ganvas project recover FILE` writes FILE.recovered.ganvas and says what it dropped', async () => {
    const { home, file, after } = await fiveEdits();
    damage(file, 'UPDATE projects SET head_edit_id = 42');
    const out = execFileSync(process.execPath, [CLI, '--home', home, 'project', 'recover', file], { encoding: 'utf8' });
    expect(out).toContain('dropped edit 42: the undo pointer names edit 42, which is not in the log');
    expect(out).toContain(`recovered 5 of 5 edit(s) into ${join(home, 'p.recovered.ganvas')}; undo pointer at edit 5`);
    const store = ProjectStore.open(join(home, 'p.recovered.ganvas'));
    expect(store.state().layers).toEqual(after[4]!.layers);
    store.close();
  });
});
