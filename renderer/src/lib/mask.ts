/**
 * The inpainting mask of one layer, kept in that layer's pixels on an offscreen canvas: alpha is the mask,
 * drawn in a tint so the canvas itself serves as the translucent overlay. Sent to the engine as a PNG where
 * white = fill.
 */
export const MASK_TINT = '#ff3d7f';

export type Point = { x: number; y: number };

export class MaskCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(readonly width: number, readonly height: number) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = width;
    this.canvas.height = height;
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
  }

  /** A round dab; hardness 1 is a hard edge, 0 a soft one that fades from the centre. */
  private dab(p: Point, size: number, hardness: number): void {
    const r = size / 2;
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

  rect(a: Point, b: Point, erase = false): void {
    this.polygon([a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }], erase);
  }

  polygon(points: Point[], erase = false): void {
    if (points.length < 3) return;
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
    this.ctx.clearRect(0, 0, this.width, this.height);
  }

  invert(): void {
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
    const a = this.ctx.getImageData(0, 0, this.width, this.height).data;
    let n = 0;
    for (let i = 3; i < a.length; i += 4) if (a[i]! >= 128) n++;
    return n / (this.width * this.height);
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
