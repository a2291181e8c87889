#!/usr/bin/env node
/**
 * Proves the result tests can fail: applies deliberate breakages one at a time (each a plausible but wrong
 * result: the model handed an empty mask, the model bypassed, the fill pasted 7 px off …), runs the tests that
 * must catch it, and fails unless every mutant is caught. The source is restored after each run, also on Ctrl+C.
 *
 *   node scripts/mutation-check.js            all mutants
 *   node scripts/mutation-check.js zero-mask  one of them
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

const mutants = [
  {
    name: 'zero-mask',
    why: 'the model is given an all-zero mask (the issue 10 bug: it fills nothing)',
    file: 'engine/edit/inpaint-model.ts',
    from: 'mask[i] = hole.data[i]! ? 1 : 0;',
    to: 'mask[i] = 0;',
    tests: ['test/inpaint-oracles.test.ts'],
  },
  {
    name: 'bypass-model',
    why: 'the model is never run: the photo is pasted back as the "fill"',
    file: 'engine/edit/inpaint.ts',
    from: 'const small = await model.fill(',
    to: 'const small = await ((rgb: Raster, _h: Raster) => Promise.resolve(rgb))(',
    tests: ['test/inpaint-oracles.test.ts'],
  },
  {
    name: 'offset-paste',
    why: 'the fill is pasted 7 px to the right of where it belongs',
    file: 'engine/edit/inpaint.ts',
    from: 'const s = (y * rect.width + x) * 3, d = ((rect.y + y) * img.width + rect.x + x) * 4;',
    to: 'const s = (y * rect.width + Math.max(0, x - 7)) * 3, d = ((rect.y + y) * img.width + rect.x + x) * 4;',
    tests: ['test/inpaint-oracles.test.ts'],
  },
  {
    name: 'blend-inside',
    why: 'the seam is blended inside the hole, keeping part of the removed object as a rim',
    file: 'engine/edit/inpaint.ts',
    from: 'return Float32Array.from(d, (v) => (v === 0 ? 1 :',
    to: 'return Float32Array.from(d, (v) => (v === 0 ? 0.9 :',
    tests: ['test/inpaint-oracles.test.ts'],
  },
  {
    name: 'upscaled-prefill',
    why: 'a net that refines the pyramid fill ran scaled down, and its whole fill is upscaled (blurring thin holes)',
    file: 'engine/edit/inpaint.ts',
    from: 'const fill = model.prefill && scaled ?',
    to: 'const fill = model.prefill && scaled && false ?',
    tests: ['test/inpaint-oracles.test.ts'],
  },
  {
    name: 'no-prefill',
    why: 'a net that refines the classical fill is handed the crop without that fill in its hole',
    file: 'engine/edit/inpaint.ts',
    from: 'const guess = model.prefill ? model.prefill(seen, holeSeen) : seen;',
    to: 'const guess = seen;',
    tests: ['test/inpaint-oracles.test.ts'],
  },
];

const only = process.argv.slice(2);
let escaped = 0;
for (const m of mutants.filter((x) => only.length === 0 || only.includes(x.name))) {
  const path = join(root, m.file);
  const original = readFileSync(path, 'utf8');
  if (!original.includes(m.from)) {
    console.error(`mutant ${m.name}: the line to break is no longer in ${m.file}; update scripts/mutation-check.js`);
    process.exit(1);
  }
  const restore = () => writeFileSync(path, original);
  process.once('SIGINT', () => { restore(); process.exit(130); });
  writeFileSync(path, original.replace(m.from, m.to));
  let r;
  try {
    r = spawnSync('npx', ['vitest', 'run', ...m.tests], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  } finally {
    restore();
  }
  const caught = r.status !== 0 && /failed/i.test(r.stdout + r.stderr);
  console.log(`${caught ? 'caught ' : 'ESCAPED'}  ${m.name}: ${m.why}`);
  if (!caught) escaped++;
}
if (escaped) {
  console.error(`${escaped} mutant(s) passed the tests: those tests do not check the result`);
  process.exit(1);
}
