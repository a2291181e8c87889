/**
 * The holes of the object-removal bench (bench/inpaint.ts), all seeded: free-form brush strokes (the generator
 * the inpainter trains on, engine/edit/free-form-mask.ts) and object-shaped blobs (random smooth closed shapes,
 * each the union of one to three lobes with a wavy outline, like a person, a bin or a parked bike). Every hole is
 * then filled with a foreign object: the pixels of another photo at the same place, so that nothing left under
 * the mask can help a method and a method that ignores the mask is punished.
 */
import { freeFormMask } from '../engine/edit/free-form-mask.js';

export type HoleFamily = 'strokes' | 'objects';
export const holeFamilies: readonly HoleFamily[] = ['strokes', 'objects'];

/** Share of the photo a hole may cover. */
export const MIN_HOLE = 0.02, MAX_HOLE = 0.4;

interface Lobe {
  /** Centre, in the object's unit frame. */
  cx: number;
  cy: number;
  /** Radii and rotation of the lobe's ellipse. */
  rx: number;
  ry: number;
  cos: number;
  sin: number;
  /** r(θ) = 1 + Σ a·cos(kθ + φ): a smooth, star-shaped outline around the ellipse. */
  waves: { k: number; a: number; phi: number }[];
}

function lobe(rand: () => number, cx: number, cy: number, size: number): Lobe {
  const aspect = 0.45 + rand() * 1.6; // wide to tall
  const rot = (rand() - 0.5) * 0.8;
  const waves = [2, 3, 4, 5].map((k) => ({ k, a: ((rand() * 2 - 1) * 0.3) / k, phi: rand() * 2 * Math.PI }));
  return { cx, cy, rx: size / Math.sqrt(aspect), ry: size * Math.sqrt(aspect), cos: Math.cos(rot), sin: Math.sin(rot), waves };
}

function inside(lobes: Lobe[], u: number, v: number): boolean {
  for (const l of lobes) {
    const dx = u - l.cx, dy = v - l.cy;
    const x = (dx * l.cos + dy * l.sin) / l.rx, y = (-dx * l.sin + dy * l.cos) / l.ry;
    const rho2 = x * x + y * y;
    if (rho2 > 1.8 * 1.8) continue; // beyond the largest outline r(θ) can reach
    const t = Math.atan2(y, x);
    let r = 1;
    for (const w of l.waves) r += w.a * Math.cos(w.k * t + w.phi);
    if (rho2 <= r * r) return true;
  }
  return false;
}

/** One random object silhouette in a unit frame: its lobes, its half-extent and its area (unit²). */
function silhouette(rand: () => number): { lobes: Lobe[]; extent: number; area: number } {
  const lobes = [lobe(rand, 0, 0, 1)];
  const extra = Math.floor(rand() * 3);
  for (let i = 0; i < extra; i++) {
    const a = rand() * 2 * Math.PI, d = 0.6 + rand() * 0.6;
    lobes.push(lobe(rand, d * Math.cos(a), d * Math.sin(a), 0.35 + rand() * 0.45));
  }
  const extent = Math.max(...lobes.map((l) => Math.hypot(l.cx, l.cy) + 1.8 * Math.max(l.rx, l.ry)));
  const n = 160;
  let hits = 0;
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    if (inside(lobes, ((i + 0.5) / n * 2 - 1) * extent, ((j + 0.5) / n * 2 - 1) * extent)) hits++;
  }
  return { lobes, extent, area: (hits / (n * n)) * (2 * extent) ** 2 };
}

/**
 * One to three object silhouettes whose total area is a target share of the photo drawn uniformly in
 * [minRatio, maxRatio] (redrawn until overlaps and the frame's edges leave the hole in that range). 1 = hole.
 */
export function objectMask(w: number, h: number, rand: () => number, minRatio = MIN_HOLE, maxRatio = MAX_HOLE): Uint8Array {
  for (;;) {
    const target = minRatio + rand() * (maxRatio - minRatio);
    const count = 1 + Math.floor(rand() * 3);
    const shares = Array.from({ length: count }, () => 0.3 + rand());
    const total = shares.reduce((a, b) => a + b, 0);
    const mask = new Uint8Array(w * h);
    for (const share of shares) {
      const s = silhouette(rand);
      const scale = Math.sqrt((target * (share / total) * w * h) / s.area); // px per unit
      const cx = w * (0.1 + rand() * 0.8), cy = h * (0.15 + rand() * 0.8);
      const r = s.extent * scale;
      const x0 = Math.max(0, Math.floor(cx - r)), x1 = Math.min(w - 1, Math.ceil(cx + r));
      const y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(h - 1, Math.ceil(cy + r));
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
        if (!mask[y * w + x] && inside(s.lobes, (x + 0.5 - cx) / scale, (y + 0.5 - cy) / scale)) mask[y * w + x] = 1;
      }
    }
    let holes = 0;
    for (const v of mask) holes += v;
    const ratio = holes / (w * h);
    if (ratio >= minRatio && ratio <= maxRatio) return mask;
  }
}

export function holeMask(family: HoleFamily, w: number, h: number, rand: () => number): Uint8Array {
  return family === 'strokes' ? freeFormMask(w, h, rand, MIN_HOLE, MAX_HOLE) : objectMask(w, h, rand);
}

/** The photo with its hole pixels replaced by the donor's pixels at the same place (both RGB, same size). */
export function pasteForeign(rgb: Uint8Array, donor: Uint8Array, mask: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) { out[i * 3] = donor[i * 3]!; out[i * 3 + 1] = donor[i * 3 + 1]!; out[i * 3 + 2] = donor[i * 3 + 2]!; }
  }
  return out;
}

export const holeRatio = (mask: Uint8Array) => { let n = 0; for (const v of mask) n += v ? 1 : 0; return n / mask.length; };
