import type { Layer } from '../api/schemas.js';

type Box = Pick<Layer, 'x' | 'y' | 'width' | 'height'>;

/**
 * Where a new w×h layer goes so that it covers no sample already there: the document's centre if free, else the
 * nearest free cell of a grid of sample-sized cells around it, within the document; if none is free, the next
 * step of a cascade, so no two start at the same spot. Layers larger than half the document (a photo under the
 * samples) do not count as taken space.
 */
export function freeSpot(doc: { width: number; height: number; layers: readonly (Box & { visible: boolean })[] }, w: number, h: number): { x: number; y: number } {
  const others = doc.layers.filter((l) => l.visible && l.width * l.height <= (doc.width * doc.height) / 2);
  const maxX = Math.max(0, doc.width - w), maxY = Math.max(0, doc.height - h);
  const cx = Math.round((doc.width - w) / 2), cy = Math.round((doc.height - h) / 2);
  const overlap = (x: number, y: number, l: Box) =>
    Math.max(0, Math.min(x + w, l.x + l.width) - Math.max(x, l.x)) * Math.max(0, Math.min(y + h, l.y + l.height) - Math.max(y, l.y));
  const covers = (x: number, y: number) => others.some((l) => overlap(x, y, l) > 0.1 * Math.min(w * h, l.width * l.height));
  if (!covers(cx, cy)) return { x: cx, y: cy };
  const gap = 8;
  const cells: { x: number; y: number; d: number }[] = [];
  for (let j = -8; j <= 8; j++) for (let i = -8; i <= 8; i++) {
    const x = cx + i * (w + gap), y = cy + j * (h + gap);
    if (x >= 0 && y >= 0 && x <= maxX && y <= maxY) cells.push({ x, y, d: Math.hypot(i * (w + gap), j * (h + gap)) });
  }
  cells.sort((a, b) => a.d - b.d);
  const free = cells.find((c) => !covers(c.x, c.y));
  if (free) return { x: free.x, y: free.y };
  const step = Math.max(16, Math.round(Math.min(w, h) / 8));
  const startsAt = (x: number, y: number) => others.some((l) => Math.abs(l.x - x) < step / 2 && Math.abs(l.y - y) < step / 2);
  for (let k = 1; k < 200; k++) {
    const x = Math.min(maxX, Math.max(0, cx + ((k * step) % Math.max(step, maxX - cx + 1))));
    const y = Math.min(maxY, Math.max(0, cy + ((k * step) % Math.max(step, maxY - cy + 1))));
    if (!startsAt(x, y)) return { x, y };
  }
  return { x: cx, y: cy };
}
