import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const CLI = join(import.meta.dirname, '..', 'bin', 'ganvas.js');

export interface Served {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Every server started here: a failed test never reaches its stop(), and a leaked engine would go on training.
 * They are killed when this process exits (the test worker, or a bench that imports this harness — so no vitest
 * hook here).
 */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts the real `ganvas serve` and resolves with the URL it prints; `allow`: folders given with --allow. */
export function startServe(home: string, project: string, allow: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [CLI, '--home', home, 'serve', '--port', '0', '--project', project, ...allow.flatMap((d) => ['--allow', d])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/Ganvas at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/);
      if (m) {
        ok({
          url: m[1]!,
          child,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => fail(new Error(`ganvas serve exited (${code}): ${err}`)));
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
}
