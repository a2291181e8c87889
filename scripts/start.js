// `npm start`: the desktop app where Electron's binary is installed, else the browser host on the default
// project. Says which it did, and why.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * Resolving the `electron` package fetches its binary on first use; that runs in a child so a machine without
 * the network gets one clear sentence instead of a stack trace.
 */
function electronBinary() {
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const path = r.stdout.trim();
  if (r.status === 0 && path && existsSync(path)) return { path };
  const detail = (r.stderr || '').split('\n').find((l) => /Error|failed/i.test(l))?.trim();
  return { why: `Electron's binary is not installed and could not be fetched${detail ? ` (${detail})` : ''}` };
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function rendererIsStale() {
  const index = 'dist/renderer/index.html';
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return ['renderer', 'engine/api'].some((d) => newestMtime(d) > built);
}

function run(script) {
  const r = spawnSync(npm, ['run', '--silent', script], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (rendererIsStale()) run('build:renderer');
const electron = electronBinary();
if (electron.path) {
  run('build:desktop');
  console.log('Ganvas: starting the desktop app (Electron).');
  spawn(electron.path, ['.', ...process.argv.slice(2)], { stdio: 'inherit' }).on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(`Ganvas: ${electron.why}, so this starts the browser host instead: the same editor and engine,`);
  console.log('served on 127.0.0.1. Open the URL below in a browser.');
  spawn(process.execPath, ['bin/ganvas.js', 'serve', ...process.argv.slice(2)], { stdio: 'inherit' }).on('exit', (code) =>
    process.exit(code ?? 0),
  );
}
