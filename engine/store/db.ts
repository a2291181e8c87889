import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { EngineError } from '../api/errors.js';
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

/** Refuses, before any write, a file that is not a Ganvas project. */
function assertGanvasFile(path: string): void {
  if (!existsSync(path)) throw new EngineError('not_found', `no project file at ${path}`);
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

export function migrate(db: DB): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new EngineError('not_a_project', `project schema v${current} is newer than this Ganvas (v${migrations.length})`);
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export function createDatabase(path: string): DB {
  if (existsSync(path)) throw new EngineError('conflict', `${path} already exists`);
  const db = new Database(path);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  configure(db);
  migrate(db);
  return db;
}

export function openDatabase(path: string): DB {
  assertGanvasFile(path);
  const db = new Database(path, { fileMustExist: true });
  try {
    configure(db);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
