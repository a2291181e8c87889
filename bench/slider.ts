import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, startServe } from '../e2e/harness.js';
import type { BenchRow } from './run.js';

/**
 * A slider drag in the real app: Chromium drives the latent studio against `ganvas serve`, and the app's own
 * meter (input event → preview painted, stale requests dropped) gives the frame time. The peer is the bare
 * PyTorch forward pass of the same 64 px generator (2 threads) — what a frame would cost before any transport
 * or painting. Needs dist/renderer (npm run build:renderer) and Debian's chromium.
 */
export async function benchSlider(): Promise<BenchRow[]> {
  const home = mkdtempSync(join(tmpdir(), 'ganvas-bench-'));
  const served = await startServe(home, join(home, 'bench.ganvas'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(served.url);
    await page.locator('[data-testid=sample]').first().waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=sample]').first().click();
    await page.locator('[data-testid=place-sample]').click();
    await page.locator('[data-testid=layer]').first().waitFor();
    await page.locator('[data-testid=find-ganspace]').click();
    const slider = page.locator('[data-testid=direction-slider]').first();
    await slider.waitFor({ timeout: 30_000 });
    await slider.scrollIntoViewIfNeeded();
    const box = (await slider.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    // 120 input events at 60 Hz, as a hand dragging a slider produces them.
    for (let i = 0; i < 120; i++) {
      await page.mouse.move(box.x + box.width / 2 + Math.sin(i / 10) * box.width * 0.4, box.y + box.height / 2);
      await page.waitForTimeout(16);
    }
    await page.waitForTimeout(500);
    const meter = page.locator('[data-testid=slider-fps]');
    const fps = Number(await meter.getAttribute('data-fps'));
    const dropped = Number(await meter.getAttribute('data-dropped'));
    const frames = Number(await meter.getAttribute('data-frames'));
    await page.mouse.up();
    const peer = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'torch_peer.py'), JSON.stringify([{ name: 'g', kind: 'generator', zDim: 128, wDim: 128, mappingLayers: 4, resolution: 64, channels: { 4: 128, 8: 128, 16: 96, 32: 48, 64: 24 }, batch: 1, reps: 30 }])], { encoding: 'utf8' });
    const peerMs = peer.status === 0 ? (JSON.parse(peer.stdout) as { g: number }).g : NaN;
    const ms = 1000 / fps;
    return [{
      name: `slider drag in the app, 64 px (${frames} frames painted, ${dropped} stale dropped)`, figure: ms, unit: 'ms/frame',
      peer: peer.status === 0 ? 'PyTorch forward alone, 2 threads' : 'PyTorch (not installed)', peerFigure: peerMs, ratio: peerMs / ms,
      throughput: fps, peerThroughput: 1000 / peerMs,
    }];
  } finally {
    await browser.close();
    await served.stop();
  }
}
