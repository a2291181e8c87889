/**
 * Procedural free-form masks like DeepFill v2's training masks: a few thick brush strokes and sometimes a box,
 * redrawn until the hole covers a chosen share of the image. 1 = hole. The same generator makes the training
 * masks of build/models/masks.py (there in numpy) and the masks of the inpainting benchmarks.
 */
function stroke(mask: Uint8Array, w: number, h: number, rand: () => number): void {
  let x = rand() * w, y = rand() * h;
  const width = h * (0.04 + rand() * 0.1);
  const segments = 2 + Math.floor(rand() * 5);
  for (let s = 0; s < segments; s++) {
    const angle = rand() * 2 * Math.PI;
    const length = h * (0.08 + rand() * 0.22);
    const nx = Math.min(w - 1, Math.max(0, x + length * Math.cos(angle)));
    const ny = Math.min(h - 1, Math.max(0, y + length * Math.sin(angle)));
    const r = width / 2, dx = nx - x, dy = ny - y, len2 = Math.max(dx * dx + dy * dy, 1e-6);
    const x0 = Math.max(0, Math.floor(Math.min(x, nx) - r)), x1 = Math.min(w - 1, Math.ceil(Math.max(x, nx) + r));
    const y0 = Math.max(0, Math.floor(Math.min(y, ny) - r)), y1 = Math.min(h - 1, Math.ceil(Math.max(y, ny) + r));
    for (let py = y0; py <= y1; py++) for (let px = x0; px <= x1; px++) {
      const t = Math.min(1, Math.max(0, ((px - x) * dx + (py - y) * dy) / len2));
      const ex = px - x - t * dx, ey = py - y - t * dy;
      if (ex * ex + ey * ey <= r * r) mask[py * w + px] = 1;
    }
    x = nx;
    y = ny;
  }
}

export function freeFormMask(w: number, h: number, rand: () => number, minRatio = 0.05, maxRatio = 0.5): Uint8Array {
  for (;;) {
    const mask = new Uint8Array(w * h);
    const strokes = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < strokes; i++) stroke(mask, w, h, rand);
    if (rand() < 0.3) {
      const bh = Math.floor(h * (0.1 + rand() * 0.35)), bw = Math.floor(w * (0.1 + rand() * 0.35));
      const by = Math.floor(rand() * (h - bh)), bx = Math.floor(rand() * (w - bw));
      for (let y = by; y < by + bh; y++) mask.fill(1, y * w + bx, y * w + bx + bw);
    }
    let holes = 0;
    for (const v of mask) holes += v;
    const ratio = holes / (w * h);
    if (ratio >= minRatio && ratio <= maxRatio) return mask;
  }
}
