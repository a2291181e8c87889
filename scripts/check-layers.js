// The layering of docs/ARCHITECTURE.md, checked on every import. The folder table there is the rule: each row
// names folders (or files) and what they may import, and this script reads that table, so a row cannot be
// documented without being enforced. Every engine, electron and renderer source file must fall under a row.
// A few rules about packages (sharp, electron, node:) are written here, beside the table's.
// Usage: node scripts/check-layers.js [ROOT]   (exit 1 and one line per violation when the rule is broken)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
const ALIASES = { '@engine/api': 'engine/api' };
const CHECKED = ['engine', 'electron', 'renderer'];

/** The folder table: rows whose first cell names our code and whose last cell says what it may import. */
function readTable() {
  const doc = ['docs/ARCHITECTURE.md', 'ARCHITECTURE.md'].map((p) => join(root, p)).find(existsSync);
  if (!doc) return { rows: [], problem: 'no docs/ARCHITECTURE.md: the layering table is missing' };
  const lines = readFileSync(doc, 'utf8').split('\n');
  const header = lines.findIndex((l) => /^\|.*\|\s*may import\s*\|\s*$/i.test(l));
  if (header < 0) return { rows: [], problem: `${relative(root, doc)} has no table with a "may import" column` };
  const rows = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const names = [...cells[0].matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\/$/, ''));
    const may = cells.at(-1);
    const ours = names.filter((n) => CHECKED.some((c) => n === c || n.startsWith(`${c}/`)));
    if (ours.length === 0) continue;
    const anything = /\beverything\b/i.test(may);
    const allowed = [...may.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\/$/, ''));
    rows.push({ names: ours, allowed, anything });
  }
  return { rows, problem: null };
}

const under = (path, name) => path === name || path.startsWith(`${name}/`);

/** Package rules the table cannot say. */
const packageRules = [
  { from: 'renderer/src/', forbid: (t) => t.pkg === 'electron' || (t.pkg?.startsWith('node:') ?? false), why: 'the renderer runs in a sandboxed page' },
  { from: 'engine/', forbid: (t) => t.pkg === 'electron', why: 'the engine knows nothing of Electron' },
  { from: 'engine/', except: ['engine/image/raster.ts'], forbid: (t) => t.pkg === 'sharp', why: 'pixels go through the one pixel module, engine/image/raster.ts' },
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
    else if (/\.(ts|js|mjs|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts') && !/\.config\.ts$/.test(e.name)) yield p;
  }
}

function target(file, spec) {
  for (const [alias, to] of Object.entries(ALIASES)) {
    if (spec === alias || spec.startsWith(alias + '/')) return { path: to + spec.slice(alias.length), pkg: null };
  }
  if (spec.startsWith('.')) return { path: relative(root, resolve(dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts'), pkg: null };
  return { path: null, pkg: spec };
}

const { rows, problem } = readTable();
const violations = problem ? [problem] : [];
/** The most specific row for a file: `engine/engine.ts` before `engine`. */
const rowOf = (rel) => rows
  .flatMap((r) => r.names.filter((n) => under(rel, n)).map((n) => ({ r, n })))
  .sort((a, b) => b.n.length - a.n.length)[0];

for (const top of CHECKED) {
  for (const file of sourceFiles(join(root, top))) {
    const rel = relative(root, file).split(sep).join('/');
    const row = rowOf(rel);
    if (!row && !problem) violations.push(`${rel}: in no row of the folder table in docs/ARCHITECTURE.md`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const t = target(file, spec);
      if (row && t.path !== null && !row.r.anything && !under(t.path, row.n) && !row.r.allowed.some((a) => under(t.path, a))) {
        violations.push(`${rel}: imports ${spec} — ${row.n} may import ${row.r.allowed.length ? row.r.allowed.join(', ') : 'nothing else of ours'} (docs/ARCHITECTURE.md)`);
      }
      for (const rule of packageRules) {
        if (rel.startsWith(rule.from) && !(rule.except ?? []).includes(rel) && rule.forbid(t)) violations.push(`${rel}: imports ${spec} — ${rule.why}`);
      }
    }
  }
}

if (violations.length) {
  console.error(`layer check: ${violations.length} violation(s)\n${violations.join('\n')}`);
  process.exit(1);
}
console.log(`layer check: ok (${rows.length} rows of docs/ARCHITECTURE.md)`);
