import Database from 'better-sqlite3';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EngineError } from '../api/errors.js';
import { acquire, connectionKey, isOpenHere, type Lease } from './connections.js';
import { migrations } from './migrations.js';

/** 'GANV': marks a SQLite file as a Ganvas project so we never migrate someone else's database. */
export const APPLICATION_ID = 0x47414e56;
const SQLITE_MAGIC = 'SQLite format 3\0';

export type DB = Database.Database;

function readHeader(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(100);
    const n = readSync(fd, buf, 0, 100, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses, before any write, a file that is not a Ganvas project. Only ever called on a file this process has no
 * connection to: its open/close would drop the process's SQLite locks on a live one (see connections.ts).
 */
function assertGanvasFile(path: string): void {
  if (isOpenHere(connectionKey(path))) throw new Error('internal: header check on a project that is open');
  const header = readHeader(path);
  if (header.length < 100 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    throw new EngineError('not_a_project', `${path} is not a Ganvas project (not a SQLite database)`);
  }
  const appId = header.readUInt32BE(68);
  if (appId !== APPLICATION_ID) {
    throw new EngineError('not_a_project', `${path} is a SQLite database but not a Ganvas project`);
  }
}

function configure(db: DB): void {
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
}

function assertNotNewer(db: DB): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new EngineError('not_a_project', `project schema v${current} is newer than this Ganvas (v${migrations.length})`);
  }
}

/** True when the file has `table` (an older schema may not: checks that run before migrating ask first). */
export const hasTable = (db: DB, table: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;

export function migrate(db: DB): void {
  assertNotNewer(db);
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * The shared connection to an existing project file, checked, configured and migrated when this process first
 * opens it. `check` runs before the migrations (and the connection is closed if it throws), so a file refused as
 * damaged is left at the schema it had. Reopening an open file runs nothing.
 */
export function openDatabase(path: string, check: (db: DB) => void = () => {}): Lease {
  return acquire(connectionKey(path), () => {
    assertGanvasFile(path);
    const db = new Database(path, { fileMustExist: true });
    try {
      configure(db);
      assertNotNewer(db);
      check(db);
      migrate(db);
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  });
}

/**
 * The connection for reading a file as it is — no migration, no checks beyond the header — for recovering a
 * damaged project. Shares the connection when the file is already open here.
 */
export function openDatabaseAsIs(path: string): Lease {
  return acquire(connectionKey(path), () => {
    assertGanvasFile(path);
    const db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return db;
  });
}

const TEMP_SUFFIX = '.creating';

/** Temporary files of creations in this folder whose process is gone (killed mid-create): removed before a new one. */
function removeAbandonedBuilds(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /^\..+\.(\d+)-[0-9a-f]{8}\.creating(?:-wal|-shm|-journal)?$/.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes a directory entry durable (a no-op where directories cannot be fsynced, as on Windows). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort: the file's own data is already synced by SQLite
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Creates a project file atomically: the database is built and filled (`fill`, in one transaction) in a temporary
 * file in the same folder, closed — which checkpoints the WAL into it — and only then linked to `path`. A kill at
 * any moment leaves either no file at `path` or a complete one; never a file that neither opens nor can be
 * created again. Linking (not renaming) fails if `path` appeared meanwhile, so nothing is ever overwritten.
 */
export function buildAtomically(path: string, fill: (db: DB) => void): void {
  if (existsSync(path)) throw new EngineError('conflict', `${path} already exists`);
  removeAbandonedBuilds(dirname(path));
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const db = new Database(temp);
    try {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      configure(db);
      migrate(db);
      db.transaction(() => fill(db))();
    } finally {
      db.close();
    }
    publish(temp, path);
  } finally {
    for (const f of [temp, `${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
  }
  syncDirectory(dirname(path));
}

function publish(temp: string, path: string): void {
  try {
    linkSync(temp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new EngineError('conflict', `${path} already exists`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    // A filesystem without hard links (FAT, some network shares): rename, after checking nothing is there.
    if (existsSync(path)) throw new EngineError('conflict', `${path} already exists`);
    renameSync(temp, path);
    return;
  }
  unlinkSync(temp);
}
