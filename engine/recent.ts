import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { RecentProject } from './api/schemas.js';

const MAX = 20;

/** The recent-projects list: a small JSON file replaced atomically, so a crash never truncates it. */
export class RecentProjects {
  private readonly file: string;
  constructor(home: string) {
    this.file = join(home, 'recent.json');
  }

  list(): RecentProject[] {
    try {
      return z.array(RecentProject).parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch {
      return [];
    }
  }

  touch(path: string, name: string): void {
    const next = [{ path, name, openedAt: new Date().toISOString() }, ...this.list().filter((r) => r.path !== path)];
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(next.slice(0, MAX), null, 2));
    renameSync(tmp, this.file);
  }
}
