// The layering rule of ARCHITECTURE.md, checked on every import: the renderer reaches the engine only through
// engine/api; the engine never imports Electron or the renderer; engine/api imports nothing else of ours;
// only engine/image/raster.ts touches sharp (ARCHITECTURE.md, "Folders").
// Usage: node scripts/check-layers.js [ROOT]   (exit 1 and one line per violation when the rule is broken)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
const ALIASES = { '@engine/api': 'engine/api' };

/** Each rule: files under `from` may not import what `forbid` matches (paths relative to root, or packages). */
const rules = [
  { from: 'renderer/', forbid: (t) => t.path !== null && !t.path.startsWith('renderer/') && !t.path.startsWith('engine/api/') && t.path !== 'engine/api', why: 'the renderer may import only engine/api of the engine' },
  { from: 'renderer/src/', forbid: (t) => t.pkg === 'electron' || (t.pkg?.startsWith('node:') ?? false), why: 'the renderer runs in a sandboxed page' },
  { from: 'engine/', forbid: (t) => t.pkg === 'electron' || (t.path?.startsWith('electron/') ?? false), why: 'the engine knows nothing of Electron' },
  { from: 'engine/', forbid: (t) => t.path?.startsWith('renderer/') ?? false, why: 'the engine knows nothing of the renderer' },
  { from: 'engine/api/', forbid: (t) => t.path !== null && !t.path.startsWith('engine/api/'), why: 'engine/api imports nothing else of ours' },
  { from: 'engine/', except: ['engine/image/raster.ts'], forbid: (t) => t.pkg === 'sharp', why: 'pixels go through the one pixel module, engine/image/raster.ts' },
  { from: 'engine/image/', forbid: (t) => t.path !== null && !/^engine\/(image|api)\//.test(t.path), why: 'engine/image may import only engine/api' },
  { from: 'engine/store/', forbid: (t) => t.path !== null && !/^engine\/(store|api)\//.test(t.path), why: 'engine/store may import only engine/api' },
];

function* sourceFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sourceFiles(p);
    else if (/\.(ts|js|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

function target(file, spec) {
  for (const [alias, to] of Object.entries(ALIASES)) {
    if (spec === alias || spec.startsWith(alias + '/')) return { path: to + spec.slice(alias.length), pkg: null };
  }
  if (spec.startsWith('.')) return { path: relative(root, resolve(dirname(file), spec)).split(sep).join('/'), pkg: null };
  return { path: null, pkg: spec };
}

const violations = [];
for (const top of ['renderer', 'engine', 'electron']) {
  for (const file of sourceFiles(join(root, top))) {
    const rel = relative(root, file).split(sep).join('/');
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const t = target(file, spec);
      for (const rule of rules) {
        if (rel.startsWith(rule.from) && !(rule.except ?? []).includes(rel) && rule.forbid(t)) violations.push(`${rel}: imports ${spec} — ${rule.why}`);
      }
    }
  }
}

if (violations.length) {
  console.error(`layer check: ${violations.length} violation(s)\n${violations.join('\n')}`);
  process.exit(1);
}
console.log('layer check: ok');
