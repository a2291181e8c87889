import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../engine/api/errors.js';
import { FileAccessPolicy } from '../engine/files/policy.js';
import { tempDir } from './helpers.js';


function setup() {
  const root = tempDir();
  const library = join(root, 'home', 'projects');
  const chosen = join(root, 'chosen');
  const outside = join(root, 'outside');
  mkdirSync(chosen, { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.ganvas'), 'x');
  writeFileSync(join(chosen, 'a.ganvas'), 'x');
  const known: string[] = [];
  const policy = new FileAccessPolicy({ library, allow: [chosen], known: () => known });
  return { root, library, chosen, outside, policy, known };
}

const refusal = (f: () => unknown): EngineError => {
  try {
    f();
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error('not refused');
};

describe('file-access policy (engine/files/policy.ts)', () => {
  it('creates projects in the library (by name or relative path) and in chosen folders only', () => {
    const { library, chosen, outside, policy } = setup();
    expect(policy.project('New.ganvas', 'create')).toMatch(/projects[/\\]New\.ganvas$/);
    expect(policy.project(join(library, 'sub', 'deeper', 'x.ganvas'), 'create')).toMatch(/sub[/\\]deeper[/\\]x\.ganvas$/);
    expect(policy.project(join(chosen, 'b.ganvas'), 'create')).toMatch(/chosen[/\\]b\.ganvas$/);
    expect(refusal(() => policy.project(join(outside, 'b.ganvas'), 'create')).code).toBe('bad_request');
    expect(refusal(() => policy.project('../../outside/b.ganvas', 'create')).message).toMatch(/not in a place Ganvas may use/);
    expect(refusal(() => policy.project(join(chosen, 'a.ganvas'), 'create')).code).toBe('conflict');
  });

  it('refuses other extensions, dot-files and dot-folders, NUL bytes', () => {
    const { library, chosen, policy } = setup();
    expect(refusal(() => policy.project(join(chosen, 'authorized_keys'), 'create')).message).toMatch(/\.ganvas file/);
    expect(refusal(() => policy.project(join(chosen, '.hidden.ganvas'), 'create')).message).toMatch(/hidden/);
    expect(refusal(() => policy.project(join(library, '.ssh', 'x.ganvas'), 'create')).message).toMatch(/hidden/);
    expect(refusal(() => policy.project(join(chosen, 'a\0.ganvas'), 'open')).code).toBe('bad_request');
    expect(refusal(() => policy.project(join(chosen, '.ganvas'), 'create')).code).toBe('bad_request');
  });

  it('gives the same answer for existing and missing paths outside, and follows no symlink out', () => {
    const { chosen, outside, policy } = setup();
    const a = refusal(() => policy.project(join(outside, 'secret.ganvas'), 'open')).message;
    const b = refusal(() => policy.project(join(outside, 'missing.ganvas'), 'open')).message;
    expect(a.replace('secret', 'N')).toBe(b.replace('missing', 'N'));
    symlinkSync(join(outside, 'secret.ganvas'), join(chosen, 'link.ganvas'));
    symlinkSync(outside, join(chosen, 'dir'));
    expect(refusal(() => policy.project(join(chosen, 'link.ganvas'), 'open')).message).toMatch(/not in a place/);
    expect(refusal(() => policy.project(join(chosen, 'dir', 'secret.ganvas'), 'open')).message).toMatch(/not in a place/);
    expect(refusal(() => policy.project(join(chosen, 'dir', 'new.ganvas'), 'create')).message).toMatch(/not in a place/);
    symlinkSync(join(outside, 'nowhere.ganvas'), join(chosen, 'dangling.ganvas'));
    expect(refusal(() => policy.project(join(chosen, 'dangling.ganvas'), 'create')).code).toBe('conflict');
    expect(policy.project(join(chosen, 'a.ganvas'), 'open')).toMatch(/chosen[/\\]a\.ganvas$/);
    expect(refusal(() => policy.project(join(chosen, 'none.ganvas'), 'open')).code).toBe('not_found');
  });

  it('opens a project in the recent list or one allowed on its own, wherever it is', () => {
    const { outside, policy, known } = setup();
    known.push(join(outside, 'secret.ganvas'));
    expect(policy.project(join(outside, 'secret.ganvas'), 'open')).toMatch(/secret\.ganvas$/);
    known.length = 0;
    expect(() => policy.project(join(outside, 'secret.ganvas'), 'open')).toThrow(/not in a place/);
    policy.allowFile(join(outside, 'secret.ganvas'));
    expect(policy.project(join(outside, 'secret.ganvas'), 'open')).toMatch(/secret\.ganvas$/);
    policy.allowFolder(outside);
    expect(policy.project(join(outside, 'new.ganvas'), 'create')).toMatch(/outside[/\\]new\.ganvas$/);
  });

  it('takes training folders from allowed places only, without listing anything outside', () => {
    const { chosen, outside, policy } = setup();
    mkdirSync(join(chosen, 'faces'));
    mkdirSync(join(chosen, '.cache'));
    expect(policy.dataDir(join(chosen, 'faces'))).toMatch(/faces$/);
    expect(refusal(() => policy.dataDir(outside)).message).not.toMatch(/secret/);
    expect(refusal(() => policy.dataDir(outside)).message).toBe(refusal(() => policy.dataDir(join(outside, 'no'))).message.replace('/no"', '"').replace('\\\\no"', '"'));
    expect(refusal(() => policy.dataDir(join(chosen, '.cache'))).message).toMatch(/hidden/);
    expect(refusal(() => policy.dataDir(join(chosen, 'a.ganvas'))).message).toMatch(/not a folder/);
    expect(refusal(() => policy.dataDir(join(chosen, 'missing'))).code).toBe('not_found');
  });
});
