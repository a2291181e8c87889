import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ProjectStore } from '../engine/store/project-store.js';
import { makePng, tempDir } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'ganvas.js');

describe('a killed engine', () => {
  it('SIGKILL during an import leaves a project that opens, passes integrity_check and holds every committed edit', async () => {
    const home = tempDir();
    const project = join(home, 'k.ganvas');
    const images: string[] = [];
    for (let i = 0; i < 40; i++) {
      const f = join(home, `img${i}.png`);
      writeFileSync(f, await makePng(700, 500, i)); // big enough that each import takes a while
      images.push(f);
    }
    const run = (args: string[]) => spawn(process.execPath, [CLI, '--home', home, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise((ok) => run(['project', 'new', project]).on('exit', ok));

    const child = run(['import', project, ...images]);
    const committed: number[] = [];
    await new Promise<void>((ok, fail) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const m of buf.matchAll(/committed edit (\d+)/g)) committed.push(Number(m[1]));
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
        if (committed.length >= 5) {
          child.kill('SIGKILL');
          ok();
        }
      });
      child.on('exit', () => fail(new Error('the import finished before it could be killed')));
    });
    await new Promise((ok) => child.on('exit', ok));
    expect(child.signalCode).toBe('SIGKILL');

    const store = ProjectStore.open(project);
    expect(store.integrityCheck()).toBe('ok');
    const state = store.state();
    const edits = store.editCount();
    // Every edit the CLI reported is there; at most one more was committed between its print and the kill.
    expect(edits).toBeGreaterThanOrEqual(committed.length);
    expect(edits).toBeLessThanOrEqual(committed.length + 1);
    expect(edits).toBeLessThan(images.length);
    expect(state.layers).toHaveLength(edits);
    expect(state.headEditId).toBe(edits);
    for (const l of state.layers) expect(store.getAsset(l.assetHash).bytes.byteLength).toBeGreaterThan(0);
    store.close();
    const db = new Database(project, { readonly: true });
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});
