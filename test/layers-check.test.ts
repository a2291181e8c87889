import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'check-layers.js');
const check = (root: string) => spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });

function tree(files: Record<string, string>): string {
  const root = tempDir();
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
});
