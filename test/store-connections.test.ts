import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { ProjectStore } from '../engine/store/project-store.js';
import { makePng, tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..');

/** Descriptors this process holds on `file` itself (not its -wal or -shm), read from the kernel. */
function descriptorsOn(file: string): number {
  const target = realpathSync(file);
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === target) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

/** POSIX locks this process holds on `file` itself, read from the kernel (/proc/locks names files by device:inode). */
function locksOn(file: string): number {
  const inode = `:${statSync(file).ino} `;
  return readFileSync('/proc/locks', 'utf8').split('\n').filter((l) => l.includes(` ${process.pid} `) && l.includes(inode)).length;
}

/** Edits in the file as a separate process running plain SQLite sees them (it opens and closes its own connection). */
const editsSeenOutside = (file: string): number =>
  Number(execFileSync(process.execPath, ['-e', `const D = require('better-sqlite3'); const db = new D(process.argv[1]); console.log(db.prepare('SELECT COUNT(*) AS n FROM edits').get().n); db.close();`, file], { cwd: root, encoding: 'utf8' }).trim());

describe('one connection per project file per process', () => {
  it.skipIf(process.platform !== 'linux')('re-opening an open project (by another path too) shares its connection, closed when the last holder lets go', async () => {
    const home = tempDir();
    const file = join(home, 'p.ganvas');
    const link = join(home, 'link.ganvas');
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
    engine.projects.create('P', 64, 64, file);
    symlinkSync(file, link);
    expect(descriptorsOn(file)).toBe(1);
    engine.projects.open(file); // a click on it in Recent projects
    const other = ProjectStore.open(link);
    expect(descriptorsOn(file)).toBe(1);
    await engine.layers.import('a.png', await makePng(8, 8, 1));
    expect(other.editCount()).toBe(1);
    engine.close();
    expect(descriptorsOn(file)).toBe(1);
    expect(other.state().layers).toHaveLength(1); // still open for the other holder
    other.close();
    other.close(); // letting go twice does not take another holder's share
    expect(descriptorsOn(file)).toBe(0);
    expect(() => other.state()).toThrow(/has been closed/);
  });

  it.skipIf(process.platform !== 'linux')('re-opening the open project keeps its SQLite lock on the file, so an outside reader closing cannot take the WAL the engine commits into', async () => {
    const home = tempDir();
    const file = join(home, 'p.ganvas');
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
    engine.projects.create('P', 64, 64, file);
    await engine.layers.import('a.png', await makePng(8, 8, 1));
    // An idle WAL connection holds a read lock on the file: how other connections know it is there.
    expect(locksOn(file)).toBe(1);
    engine.projects.open(file); // a click on it in Recent projects
    const inspector = ProjectStore.open(file); // and a look at it from elsewhere in the process, which writes nothing
    expect(inspector.editCount()).toBe(1);
    expect(locksOn(file)).toBe(1); // a descriptor opened and closed on the file would have dropped it
    expect(editsSeenOutside(file)).toBe(1); // that reader's close would delete the WAL if it thought it was alone
    for (let i = 2; i <= 4; i++) await engine.layers.import(`${i}.png`, await makePng(8, 8, i));
    // Not closed: what another process sees now is what would survive a crash of this one.
    expect(editsSeenOutside(file)).toBe(4);
    inspector.close();
    engine.close();
  });
});
