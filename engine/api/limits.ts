import { EngineError } from './errors.js';

/**
 * Resource limits of the contract (README, "Limits and file access"). Every transport enforces them at the
 * boundary, before a handler starts work: `checkRequest` walks a decoded request (iteratively, so a hostile
 * nesting cannot overflow the stack) before zod sees it; image and document sizes are checked from headers and
 * sizes before pixels are allocated.
 */
export const limits = {
  /** Pixels of one image (decoded, imported, used as a mask): 120 MP, larger than any camera. */
  maxImagePixels: 120_000_000,
  /** Bytes of one encoded image file. */
  maxImageBytes: 400 * 1024 * 1024,
  /** Longest side of a document. */
  maxDocumentSide: 32768,
  /** Pixels of a document (width × height), what an export allocates (about 20 bytes a pixel at its peak). */
  maxDocumentPixels: 120_000_000,
  /** Bytes of one request: one WebSocket frame, or the typed arrays and strings of one IPC call. */
  maxRequestBytes: 420 * 1024 * 1024,
  /** Nesting of arrays and objects in a request (the deepest method needs 4). */
  maxDepth: 16,
  /** Elements of one array, keys of one object. */
  maxItems: 4096,
  /** Characters of one string (paths included). */
  maxStringLength: 4096,
  /** Long calls (below) in flight at once per connection; more are refused at once (`conflict`), not queued. */
  maxConcurrentJobs: 4,
} as const;

/** Methods that start long work (decoding, running models, encoding); they count against maxConcurrentJobs. */
export const jobMethods: ReadonlySet<string> = new Set([
  'project.export', 'layer.import', 'models.importFile', 'inpaint.run', 'history.rerender', 'latent.applyLocal',
  'latent.interpolate', 'latent.mixGrid', 'latent.project', 'latent.variations', 'direction.compute', 'train.start',
]);

const MiB = (n: number) => `${Math.round(n / (1024 * 1024))} MiB`;

/** A short, safe description of an untrusted value for a message (never JSON.stringify of it: it may be deep). */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'object' ? 'an object' : String(v);
}

/**
 * Checks a decoded request against the limits above (depth, items, string length, total bytes) without
 * recursion. Throws a `bad_request` EngineError naming the limit.
 */
export function checkRequest(method: string, payload: unknown): void {
  let bytes = 0;
  const stack: { v: unknown; depth: number }[] = [{ v: payload, depth: 0 }];
  const seen = new Set<object>();
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) throw new EngineError('bad_request', `${method}: a string is longer than the ${limits.maxStringLength}-character limit`);
      bytes += v.length;
    } else if (ArrayBuffer.isView(v)) {
      bytes += v.byteLength;
    } else if (v instanceof ArrayBuffer) {
      bytes += v.byteLength;
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= limits.maxDepth) throw new EngineError('bad_request', `${method}: the request is nested deeper than the limit of ${limits.maxDepth} levels`);
      if (seen.has(v)) throw new EngineError('bad_request', `${method}: the request refers to itself`);
      seen.add(v);
      const items = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
      if (items.length > limits.maxItems) throw new EngineError('bad_request', `${method}: an array or object has more than ${limits.maxItems} items`);
      if (!Array.isArray(v)) for (const k of Object.keys(v)) bytes += k.length;
      for (const item of items) stack.push({ v: item, depth: depth + 1 });
    }
    if (bytes > limits.maxRequestBytes) throw new EngineError('bad_request', `${method}: the request is larger than the ${MiB(limits.maxRequestBytes)} limit`);
  }
}

/** Refuses a document over the pixel limit before anything is allocated for it. */
export function checkDocumentSize(width: number, height: number, what = 'the document'): void {
  if (width > limits.maxDocumentSide || height > limits.maxDocumentSide || width * height > limits.maxDocumentPixels) {
    throw new EngineError(
      'bad_request',
      `${what} is ${width}×${height} (${(width * height / 1e6).toFixed(0)} MP), over the limit of ${limits.maxDocumentPixels / 1e6} MP and ${limits.maxDocumentSide} px a side`,
    );
  }
}
