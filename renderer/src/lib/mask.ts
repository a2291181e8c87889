/**
 * The inpainting mask of one layer, kept in that layer's pixels on an offscreen canvas: alpha is the mask,
 * drawn in a tint so the canvas itself serves as the translucent overlay. Sent to the engine as a PNG where
 * white = fill.
 */
export const MASK_TINT = '#ff3d7f';

export type Point = { x: number; y: number };

/** A pixel rectangle, x0/y0 inclusive, x1/y1 exclusive. */
interface Box { x0: number; y0: number; x1: number; y1: number }

/** One undoable change: the pixels of the box it touched, before it and (once undone) after it. */
interface Change { box: Box; before: ImageData; after: ImageData | null }

/** Undo keeps at most this many changes, and at most this many bytes of pixels (a 4000×3000 invert is 48 MB). */
const HISTORY_STEPS = 100;
const HISTORY_BYTES = 256 * 2 ** 20;

const opaque = (d: Uint8ClampedArray) => {
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i]! >= 128) n++;
  return n;
};

/**
 * Every change (a whole brush stroke, a rectangle, a lasso, invert…) is undoable: `begin()` keeps a copy of the
 * mask, the drawing calls grow a dirty box, and `commit()` stores only that box of the copy. The count of mask
 * pixels is kept the same way, from the box alone, so nothing reads the whole mask per stroke.
 */
export class MaskCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  /** Pixels in the mask (alpha ≥ ½), as of the last commit. */
  private count = 0;
  private undoStack: Change[] = [];
  private redoStack: Change[] = [];
  /** The mask as it was at `begin()`, and the box drawn since. */
  private pending: { copy: HTMLCanvasElement; box: Box | null } | null = null;

  constructor(readonly width: number, readonly height: number) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = width;
    this.canvas.height = height;
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
  }

  get pixels(): number {
    return this.count;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  get changing(): boolean {
    return this.pending !== null;
  }

  /** Starts one undoable change (nothing happens if one is already open). */
  begin(): void {
    if (this.pending) return;
    this.pending = { copy: this.snapshot(), box: null };
  }

  /** Ends the open change; one that drew nothing leaves no undo step. */
  commit(): void {
    const p = this.pending;
    this.pending = null;
    if (!p?.box) return;
    const b = p.box, w = b.x1 - b.x0, h = b.y1 - b.y0;
    const before = p.copy.getContext('2d')!.getImageData(b.x0, b.y0, w, h);
    const after = this.ctx.getImageData(b.x0, b.y0, w, h);
    this.count += opaque(after.data) - opaque(before.data);
    this.undoStack.push({ box: b, before, after: null });
    this.redoStack = [];
    let bytes = this.undoStack.reduce((n, c) => n + c.before.data.length, 0);
    while (this.undoStack.length > HISTORY_STEPS || (bytes > HISTORY_BYTES && this.undoStack.length > 1)) bytes -= this.undoStack.shift()!.before.data.length;
  }

  undo(): boolean {
    this.commit();
    const c = this.undoStack.pop();
    if (!c) return false;
    c.after = this.swap(c.box, c.before);
    this.redoStack.push(c);
    return true;
  }

  redo(): boolean {
    this.commit();
    const c = this.redoStack.pop();
    if (!c?.after) return false;
    this.swap(c.box, c.after);
    c.after = null;
    this.undoStack.push(c);
    return true;
  }

  /** Puts `pixels` into the box and returns what was there. */
  private swap(b: Box, pixels: ImageData): ImageData {
    const was = this.ctx.getImageData(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
    this.ctx.putImageData(pixels, b.x0, b.y0);
    this.count += opaque(pixels.data) - opaque(was.data);
    return was;
  }

  /** Marks the pixels from (x0, y0) to (x1, y1) as changed by the open change (clipped to the mask). */
  private touch(x0: number, y0: number, x1: number, y1: number): void {
    if (!this.pending) throw new Error('MaskCanvas: draw between begin() and commit()');
    const b = {
      x0: Math.max(0, Math.floor(x0) - 1), y0: Math.max(0, Math.floor(y0) - 1),
      x1: Math.min(this.width, Math.ceil(x1) + 1), y1: Math.min(this.height, Math.ceil(y1) + 1),
    };
    if (b.x1 <= b.x0 || b.y1 <= b.y0) return;
    const a = this.pending.box;
    this.pending.box = a ? { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) } : b;
  }

  private touchAll(): void {
    this.touch(0, 0, this.width, this.height);
  }

  /** A round dab; hardness 1 is a hard edge, 0 a soft one that fades from the centre. */
  private dab(p: Point, size: number, hardness: number): void {
    const r = size / 2;
    this.touch(p.x - r, p.y - r, p.x + r, p.y + r);
    const g = this.ctx.createRadialGradient(p.x, p.y, r * hardness * 0.999, p.x, p.y, r);
    g.addColorStop(0, MASK_TINT);
    g.addColorStop(1, `${MASK_TINT}00`);
    this.ctx.fillStyle = hardness >= 1 ? MASK_TINT : g;
    this.ctx.beginPath();
    this.ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
    this.ctx.fill();
  }

  /** Paints (or erases) along a segment with dabs a quarter of the brush apart. */
  stroke(from: Point, to: Point, size: number, hardness: number, erase: boolean): void {
    this.ctx.save();
    this.ctx.globalCompositeOperation = erase ? 'destination-out' : 'source-over';
    const steps = Math.max(1, Math.ceil(Math.hypot(to.x - from.x, to.y - from.y) / Math.max(1, size / 4)));
    for (let i = 0; i <= steps; i++) this.dab({ x: from.x + ((to.x - from.x) * i) / steps, y: from.y + ((to.y - from.y) * i) / steps }, size, hardness);
    this.ctx.restore();
  }

  /** The pixels a rectangle dragged from `a` to `b` touches, whole (a mask rectangle has no soft edge). */
  static pixelRect(a: Point, b: Point): [Point, Point] {
    return [
      { x: Math.floor(Math.min(a.x, b.x)), y: Math.floor(Math.min(a.y, b.y)) },
      { x: Math.ceil(Math.max(a.x, b.x)), y: Math.ceil(Math.max(a.y, b.y)) },
    ];
  }

  /** Fills the pixels the rectangle from `a` to `b` touches. */
  rect(a: Point, b: Point, erase = false): void {
    const [p, q] = MaskCanvas.pixelRect(a, b);
    if (q.x <= p.x || q.y <= p.y) return;
    this.polygon([p, { x: q.x, y: p.y }, q, { x: p.x, y: q.y }], erase);
  }

  polygon(points: Point[], erase = false): void {
    if (points.length < 3) return;
    const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
    this.touch(Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys));
    this.ctx.save();
    this.ctx.globalCompositeOperation = erase ? 'destination-out' : 'source-over';
    this.ctx.fillStyle = MASK_TINT;
    this.ctx.beginPath();
    points.forEach((p, i) => (i ? this.ctx.lineTo(p.x, p.y) : this.ctx.moveTo(p.x, p.y)));
    this.ctx.closePath();
    this.ctx.fill();
    this.ctx.restore();
  }

  clear(): void {
    this.touchAll();
    this.ctx.clearRect(0, 0, this.width, this.height);
  }

  /** Empties the mask and forgets its history (after the mask was used up by an edit). */
  reset(): void {
    this.pending = null;
    this.ctx.clearRect(0, 0, this.width, this.height);
    this.count = 0;
    this.undoStack = [];
    this.redoStack = [];
  }

  invert(): void {
    this.touchAll();
    const copy = this.snapshot();
    this.ctx.save();
    this.ctx.fillStyle = MASK_TINT;
    this.ctx.fillRect(0, 0, this.width, this.height);
    this.ctx.globalCompositeOperation = 'destination-out';
    this.ctx.drawImage(copy, 0, 0);
    this.ctx.restore();
  }

  /** Grows the mask by `r` px: the mask drawn over itself at offsets around a circle (a cheap dilation). */
  expand(r: number): void {
    this.touchAll();
    const copy = this.snapshot();
    const n = Math.max(8, Math.ceil(r));
    for (let k = 0; k < n; k++) {
      const a = (2 * Math.PI * k) / n;
      this.ctx.drawImage(copy, Math.round(r * Math.cos(a)), Math.round(r * Math.sin(a)));
    }
  }

  shrink(r: number): void {
    this.invert();
    this.expand(r);
    this.invert();
  }

  private snapshot(): HTMLCanvasElement {
    const c = document.createElement('canvas');
    c.width = this.width;
    c.height = this.height;
    c.getContext('2d')!.drawImage(this.canvas, 0, 0);
    return c;
  }

  /** Share of the layer covered (alpha ≥ ½). */
  coverage(): number {
    return this.count / (this.width * this.height);
  }

  /** The mask as the engine takes it: a PNG, white where alpha ≥ ½. */
  async toPng(): Promise<Uint8Array> {
    const src = this.ctx.getImageData(0, 0, this.width, this.height);
    const out = new ImageData(this.width, this.height);
    for (let i = 0; i < src.data.length; i += 4) {
      const v = src.data[i + 3]! >= 128 ? 255 : 0;
      out.data[i] = out.data[i + 1] = out.data[i + 2] = v;
      out.data[i + 3] = 255;
    }
    const c = document.createElement('canvas');
    c.width = this.width;
    c.height = this.height;
    c.getContext('2d')!.putImageData(out, 0, 0);
    const blob = await new Promise<Blob>((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error('could not encode the mask'))), 'image/png'));
    return new Uint8Array(await blob.arrayBuffer());
  }
}
