import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ProjectStore } from '../engine/store/project-store.js';
import { makePng, tempDir } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'ganvas.js');
const CREATE_LOOP = join(import.meta.dirname, 'fixtures', 'create-loop.ts');

/**
 * Collects the acknowledgements a child prints (`pattern` with one number, and optionally a name) and SIGKILLs it
 * once it has printed `after` of them, plus a random few milliseconds so the kill lands anywhere in what follows.
 */
function killAfter(child: ChildProcess, pattern: RegExp, after: number): Promise<{ acked: RegExpMatchArray[] }> {
  const acked: RegExpMatchArray[] = [];
  return new Promise((ok, fail) => {
    let buf = '';
    let killing = false;
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const m = pattern.exec(line);
        if (m) acked.push(m); // printed before the child died, so acknowledged (even if after the kill was decided)
      }
      if (acked.length >= after && !killing) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 25));
      }
    });
    child.on('exit', () => {
      if (!killing) fail(new Error('the child finished before it could be killed'));
      else if (child.signalCode !== 'SIGKILL') fail(new Error(`the child ended with ${child.exitCode ?? child.signalCode}, not by the kill`));
      else ok({ acked });
    });
  });
}

/** What a sound file must pass after any crash: SQLite's own checks, read by a fresh connection. */
function expectSoundFile(file: string): void {
  const db = new Database(file, { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(db.pragma('foreign_key_check')).toEqual([]);
  db.close();
}

describe('a killed engine', () => {
  it('SIGKILL during imports, three times over: every acknowledged edit is there, and the file opens and passes integrity_check and foreign_key_check', async () => {
    const home = tempDir();
    const project = join(home, 'k.ganvas');
    const images: string[] = [];
    for (let i = 0; i < 36; i++) {
      const f = join(home, `img${i}.png`);
      writeFileSync(f, await makePng(700, 500, i)); // big enough that each import takes a while
      images.push(f);
    }
    const run = (args: string[]) => spawn(process.execPath, [CLI, '--home', home, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise((ok) => run(['project', 'new', project]).on('exit', ok));

    const acknowledged = new Map<number, string>(); // edit id → image, as the CLI reported each commit
    for (let round = 0; round < 3; round++) {
      const batch = images.slice(round * 12, round * 12 + 12);
      const { acked } = await killAfter(run(['import', project, ...batch]), /^committed edit (\d+): (\S+)$/, 2 + round);
      for (const m of acked) acknowledged.set(Number(m[1]), m[2]!);

      expectSoundFile(project);
      const store = ProjectStore.open(project); // replays and checks the whole log
      const history = new Map(store.history().map((h) => [h.id, h.label]));
      for (const [id, image] of acknowledged) expect(history.get(id)).toBe(`Import ${image}`);
      // At most the one edit in flight when the kill came was committed without being acknowledged.
      expect(store.editCount()).toBeGreaterThanOrEqual(acknowledged.size);
      expect(store.editCount()).toBeLessThanOrEqual(acknowledged.size + round + 1);
      const state = store.state();
      expect(state.headEditId).toBe(store.editCount());
      expect(state.layers).toHaveLength(store.editCount());
      for (const l of state.layers) expect(store.getAsset(l.assetHash).bytes.byteLength).toBeGreaterThan(0);
      store.close();
    }
  });

  it('SIGKILL during project creation leaves, at each path, either nothing or a complete project, and the path can be created again', async () => {
    const dir = tempDir();
    for (let round = 0; round < 3; round++) {
      const prefix = `r${round}-`;
      const child = spawn(process.execPath, ['--import', 'tsx', CREATE_LOOP, dir, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
      const { acked } = await killAfter(child, /^created (\d+)$/, 3);
      const made = readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.ganvas')).map((f) => Number(f.slice(prefix.length, -'.ganvas'.length)));
      // Every acknowledged project is there; at most one more (the one in flight) was completed.
      for (const m of acked) expect(made).toContain(Number(m[1]));
      expect(made.length).toBeLessThanOrEqual(acked.length + 1);
      for (const i of made) {
        const file = join(dir, `${prefix}${i}.ganvas`);
        expectSoundFile(file);
        const store = ProjectStore.open(file);
        expect(store.state()).toMatchObject({ name: `${prefix}${i}`, width: 640, height: 480, layers: [], headEditId: null });
        store.close();
      }
      // The path being created when the kill came: free, or a good project that refuses to be created over.
      const next = join(dir, `${prefix}${Math.max(...made) + 1}.ganvas`);
      expect(existsSync(next)).toBe(false);
      ProjectStore.create(next, 'again', 64, 64).close();
      expectSoundFile(next);
      expect(() => ProjectStore.create(next, 'again', 64, 64)).toThrow(/already exists/);
    }
    // The killed creations' temporary files were cleared away by the later creations in the same folder.
    expect(readdirSync(dir).filter((f) => f.includes('.creating'))).toEqual([]);
  });
});
