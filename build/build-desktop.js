// Bundles the Electron main process (ESM, engine included, npm packages left external so native modules are
// rebuilt for Electron by electron-builder) and the preload (CommonJS, self-contained: a sandboxed preload
// cannot require anything but `electron`).
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'info' };

await build({
  ...common,
  entryPoints: ['electron/main.ts'],
  outfile: 'dist/electron/main.js',
  format: 'esm',
  packages: 'external',
});

await build({
  ...common,
  entryPoints: ['electron/preload.ts'],
  outfile: 'dist/electron/preload.cjs',
  format: 'cjs',
  external: ['electron'],
});

// The training worker runs in its own thread; engine/train/fine-tune.ts finds it next to main.js.
await build({
  ...common,
  entryPoints: ['engine/train/worker.ts'],
  outfile: 'dist/electron/train-worker.js',
  format: 'esm',
  packages: 'external',
});
