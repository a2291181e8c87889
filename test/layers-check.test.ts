import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'check-layers.js');
const check = (root: string) => spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });

/** A folder table in the format of docs/ARCHITECTURE.md: the check reads its rules from there. */
const TABLE = [
  '| folder | what | may import |',
  '|---|---|---|',
  '| `engine/api` | contract | nothing else of ours |',
  '| `engine/store` | store | `engine/api` |',
  '| `engine/edit` | edits | `engine/api`, `engine/store` |',
  '| `engine/engine.ts`, `engine/x.ts` | root | `engine/api`, `engine/edit` |',
  '| `renderer` | app | `engine/api` |',
  '',
].join('\n');

function tree(files: Record<string, string>): string {
  const root = tempDir();
  files = { 'docs/ARCHITECTURE.md': TABLE, ...files };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('layer check', () => {
  it('passes on this repository', () => {
    const r = check(join(import.meta.dirname, '..'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('catches the renderer importing engine internals, and the engine importing electron', () => {
    const root = tree({
      'renderer/src/a.ts': "import type { X } from '@engine/api';\nimport { Engine } from '../../engine/engine';\n",
      'renderer/src/B.svelte': "<script lang=\"ts\">\n  import { ProjectStore } from '../../engine/store/project-store';\n</script>\n",
      'engine/x.ts': "import { app } from 'electron';\n",
      'engine/api/y.ts': "import { Engine } from '../engine.js';\n",
    });
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/renderer\/src\/a\.ts: imports \.\.\/\.\.\/engine\/engine/);
    expect(r.stderr).toMatch(/renderer\/src\/B\.svelte: imports/);
    expect(r.stderr).toMatch(/engine\/x\.ts: imports electron/);
    expect(r.stderr).toMatch(/engine\/api\/y\.ts: imports/);
    expect(r.stderr).not.toMatch(/@engine\/api/);
  });

  it('enforces every row of the table, and flags code that no row covers', () => {
    const root = tree({
      'engine/store/s.ts': "import { fill } from '../edit/fill.js';\nimport type { X } from '../api/index.js';\n",
      'engine/edit/fill.ts': "import { open } from '../store/s.js';\nexport const fill = 1;\n",
      'engine/engine.ts': "import { fill } from './edit/fill.js';\nimport { open } from './store/s.js';\n",
      'engine/train/t.ts': 'export const t = 1;\n',
    });
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/engine\/store\/s\.ts: imports \.\.\/edit\/fill\.js — engine\/store may import engine\/api/);
    expect(r.stderr).not.toMatch(/engine\/store\/s\.ts: imports \.\.\/api/);
    expect(r.stderr).not.toMatch(/engine\/edit\/fill\.ts/);
    expect(r.stderr).toMatch(/engine\/engine\.ts: imports \.\/store\/s\.js/);
    expect(r.stderr).toMatch(/engine\/train\/t\.ts: in no row/);
    expect(r.stderr.trim().split('\n')).toHaveLength(4);
  });

  it('fails without the table it enforces', () => {
    const root = tempDir();
    mkdirSync(join(root, 'engine'), { recursive: true });
    writeFileSync(join(root, 'engine', 'a.ts'), 'export {};\n');
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/layering table is missing/);
  });
});
