/** Connected hole regions of a mask, the context crops the inpainter works on, and distances to a mask. */

export interface Box { x0: number; y0: number; x1: number; y1: number } // half-open

/** Bounding boxes of the 8-connected components of `mask` (non-zero = hole), by flood fill. */
export function holeRegions(mask: Uint8Array, width: number, height: number): Box[] {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const boxes: Box[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    const box = { x0: width, y0: height, x1: 0, y1: 0 };
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % width, y = (p - x) / width;
      if (x < box.x0) box.x0 = x;
      if (y < box.y0) box.y0 = y;
      if (x + 1 > box.x1) box.x1 = x + 1;
      if (y + 1 > box.y1) box.y1 = y + 1;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx, ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (mask[q] && !seen[q]) {
          seen[q] = 1;
          stack[top++] = q;
        }
      }
    }
    boxes.push(box);
  }
  return boxes;
}

/**
 * The crop around a hole that gives the inpainter context on every side, at the hole's own aspect: the hole's
 * box grown on each side by `margin` × its larger side (at least 32 px, and always past the blend band),
 * clamped to the image. Crops that overlap are merged and recomputed, so every pixel is filled once.
 */
export function contextCrops(boxes: Box[], width: number, height: number, margin: number, band = 0): Box[] {
  const grow = (b: Box): Box => {
    const pad = Math.max(32, band + 8, Math.ceil(Math.max(b.x1 - b.x0, b.y1 - b.y0) * margin));
    return { x0: Math.max(0, b.x0 - pad), y0: Math.max(0, b.y0 - pad), x1: Math.min(width, b.x1 + pad), y1: Math.min(height, b.y1 + pad) };
  };
  const overlap = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  let holes = boxes.slice();
  for (;;) {
    const crops = holes.map(grow);
    let merged = false;
    outer: for (let i = 0; i < crops.length; i++) {
      for (let j = i + 1; j < crops.length; j++) {
        if (overlap(crops[i]!, crops[j]!)) {
          const a = holes[i]!, b = holes[j]!;
          holes = holes.filter((_, k) => k !== i && k !== j);
          holes.push({ x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) });
          merged = true;
          break outer;
        }
      }
    }
    if (!merged) return crops;
  }
}

/**
 * Exact Euclidean distance (px) from each pixel to the nearest non-zero pixel of `mask`, for distances up to
 * `reach`; 0 on the mask, Infinity beyond `reach`. The nearest mask pixel of any outside pixel lies on the mask's
 * edge, so only the (2·reach + 1)² window around each edge pixel is visited: cost follows the hole's outline,
 * not the crop's area.
 */
export function distanceToMaskWithin(mask: Uint8Array, w: number, h: number, reach: number): Float32Array {
  const d2 = new Float64Array(w * h).fill(Infinity);
  const r = Math.floor(reach), r2 = reach * reach;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (!mask[i]) continue;
    d2[i] = 0;
    const edge = (x > 0 && !mask[i - 1]) || (x < w - 1 && !mask[i + 1]) || (y > 0 && !mask[i - w]) || (y < h - 1 && !mask[i + w]);
    if (!edge || r < 1) continue;
    for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
      const dy2 = (yy - y) * (yy - y);
      for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
        const v = dy2 + (xx - x) * (xx - x), j = yy * w + xx;
        if (v <= r2 && v < d2[j]!) d2[j] = v;
      }
    }
  }
  return Float32Array.from(d2, Math.sqrt);
}

/** Chamfer distance (px) from each non-zero pixel of `mask` to the nearest zero pixel; 0 outside the mask. */
export function distanceInside(mask: Uint8Array, w: number, h: number): Float32Array {
  const INF = 1e9;
  const d = new Float32Array(w * h);
  for (let i = 0; i < d.length; i++) d[i] = mask[i] ? INF : 0;
  // The image border is not an edge: a hole touching it is measured from its real edges only.
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? INF : d[y * w + x]!);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (!d[i]) continue;
    d[i] = Math.min(d[i]!, at(x - 1, y) + 1, at(x, y - 1) + 1, at(x - 1, y - 1) + Math.SQRT2, at(x + 1, y - 1) + Math.SQRT2);
  }
  for (let y = h - 1; y >= 0; y--) for (let x = w - 1; x >= 0; x--) {
    const i = y * w + x;
    if (!d[i]) continue;
    d[i] = Math.min(d[i]!, at(x + 1, y) + 1, at(x, y + 1) + 1, at(x + 1, y + 1) + Math.SQRT2, at(x - 1, y + 1) + Math.SQRT2);
  }
  return d;
}

/**
 * Blend weights inside the hole: 0 outside, rising from 1/feather at the hole's edge to 1 at `feather` px
 * inside, so the fill meets the original without a hard seam and nothing outside changes.
 */
export function featherInside(mask: Uint8Array, w: number, h: number, feather: number): Float32Array {
  const d = distanceInside(mask, w, h);
  const f = Math.max(1, feather);
  return Float32Array.from(d, (v, i) => (mask[i] ? Math.min(1, v / f) : 0));
}

/** The pixels within `band` px of the mask's edge, on both sides: the seam a local edit leaves. */
export function seamBand(mask: Uint8Array, w: number, h: number, band: number): Uint8Array {
  const inside = distanceInside(mask, w, h);
  const outside = distanceInside(Uint8Array.from(mask, (v) => (v ? 0 : 1)), w, h);
  return Uint8Array.from(mask, (v, i) => ((v ? inside[i]! : outside[i]!) <= band ? 1 : 0));
}
