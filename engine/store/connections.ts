import { realpathSync } from 'node:fs';
import { EngineError } from '../api/errors.js';
import type { DB } from './db.js';

/**
 * One SQLite connection per project file per process (issue 12, item 3). SQLite's POSIX locks belong to the
 * process, and closing *any* descriptor of the file drops all of them — so a second connection (or a stray
 * open/close for a header check) on a file this process already has open lets another process take the WAL away
 * from under us. Opening a project that is already open therefore shares its connection, counted, and the
 * connection closes when the last holder lets go.
 */
interface Entry {
  db: DB;
  holders: number;
}

const live = new Map<string, Entry>();

/** The key a file is shared under: its real path, so a symlink or another spelling finds the same connection. */
export function connectionKey(path: string): string {
  try {
    return realpathSync.native(path); // realpath(3): stats, never opens the file
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new EngineError('not_found', `no project file at ${path}`);
    throw err;
  }
}

export const isOpenHere = (key: string): boolean => live.has(key);

export interface Lease {
  readonly db: DB;
  /** True when the connection was already open in this process (it has been checked then). */
  readonly shared: boolean;
  release(): void;
}

/** The connection for `key`, opened with `open` only if no holder has it open yet. */
export function acquire(key: string, open: () => DB): Lease {
  let entry = live.get(key);
  const shared = entry !== undefined;
  if (!entry) {
    entry = { db: open(), holders: 0 };
    live.set(key, entry);
  }
  entry.holders++;
  const held = entry;
  let released = false;
  return {
    db: held.db,
    shared,
    release() {
      if (released) return;
      released = true;
      if (--held.holders > 0) return;
      live.delete(key);
      if (held.db.open) held.db.close();
    },
  };
}
