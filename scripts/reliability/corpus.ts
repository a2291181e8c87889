// The bad-input corpus of the reliability suite (issue 12), generated afresh each run: images, masks, model
// files and packages, pickles, training folders, RPC frames, HTTP requests and WebSocket frames.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { makePng } from '../../test/fixtures.js';

export interface Corpus {
  images: { name: string; bytes: Uint8Array }[];
  masks: { name: string; bytes: Uint8Array }[];
  modelFiles: { name: string; bytes: Uint8Array }[];
  /** Package folders and odd paths for `ganvas models import`. */
  packages: { name: string; path: string }[];
  goodPng: Uint8Array;
}

function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, c]);
}
/** A PNG whose header claims width×height over `rows` rows of real data. */
export function pngClaiming(width: number, height: number, rows = 1, colorType = 2): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const idat = deflateSync(Buffer.alloc(rows * (1 + Math.min(width, 4096) * 3)));
  return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]));
}

export async function makeCorpus(dir: string, shippedInpainter: string | null): Promise<Corpus> {
  mkdirSync(dir, { recursive: true });
  const good = await makePng(48, 32, 3);
  const images = [
    { name: 'empty.png', bytes: new Uint8Array(0) },
    { name: 'random.png', bytes: new Uint8Array(randomBytes(4096)) },
    { name: 'truncated.png', bytes: good.subarray(0, good.length >> 1) },
    { name: 'huge-30000x30000.png', bytes: pngClaiming(30000, 30000) },
    { name: 'wide-1x200000000.png', bytes: pngClaiming(200_000_000, 1) },
    { name: 'zero-width.png', bytes: pngClaiming(0, 10) },
    { name: 'bad-colour-type.png', bytes: pngClaiming(16, 16, 16, 7) },
    { name: 'text.png', bytes: new Uint8Array(Buffer.from('this is not an image\n'.repeat(50))) },
    { name: 'svg-external.svg', bytes: new Uint8Array(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image xlink:href="file:///etc/passwd" width="10" height="10"/></svg>')) },
    { name: 'jpeg-header-only.jpg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]) },
    { name: 'gif-garbage.gif', bytes: new Uint8Array(Buffer.concat([Buffer.from('GIF89a'), randomBytes(200)])) },
  ];
  const masks = [
    { name: 'mask-wrong-size.png', bytes: await makePng(7, 5, 1) },
    { name: 'mask-empty.png', bytes: new Uint8Array(0) },
    { name: 'mask-random.png', bytes: new Uint8Array(randomBytes(512)) },
    { name: 'mask-huge-header.png', bytes: pngClaiming(30000, 30000) },
    { name: 'mask-truncated.png', bytes: good.subarray(0, 40) },
  ];
  const realOnnx = shippedInpainter ? readFileSync(shippedInpainter) : new Uint8Array(0);
  const modelFiles = [
    { name: 'random.onnx', bytes: new Uint8Array(randomBytes(2048)) },
    { name: 'empty.onnx', bytes: new Uint8Array(0) },
    { name: 'truncated.onnx', bytes: new Uint8Array(realOnnx.subarray(0, Math.floor(realOnnx.length / 3))) },
    // A pickle (PyTorch checkpoint) that would run code if unpickled: refused by extension, never loaded.
    { name: 'checkpoint.pkl', bytes: new Uint8Array(Buffer.from('\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x05touch\x94\x85\x94R\x94.', 'latin1')) },
    { name: 'model.pt', bytes: new Uint8Array(Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(300)])) },
    { name: '../../escape.onnx', bytes: new Uint8Array(randomBytes(64)) },
    { name: '.hidden.onnx', bytes: new Uint8Array(randomBytes(64)) },
  ];

  // Package folders.
  const pk = join(dir, 'packages');
  mkdirSync(pk);
  const secret = join(dir, 'secret');
  mkdirSync(secret);
  writeFileSync(join(secret, 'id_rsa'), 'PRIVATE KEY');
  const packages: Corpus['packages'] = [];
  const card = (id: string, files: Record<string, string>, hash = '0'.repeat(64)) =>
    JSON.stringify({ format: 'ganvas-model-1', id, name: id, kind: 'inpainter', resolution: 256, licence: 'x', data: 'x', provenance: { source: 'imported', parent: null }, files, hash });
  const mk = (name: string, fill: (d: string) => void) => {
    const d = join(pk, name);
    mkdirSync(d);
    fill(d);
    packages.push({ name, path: d });
  };
  mk('no-card', (d) => writeFileSync(join(d, 'readme.txt'), 'x'));
  mk('bad-json', (d) => writeFileSync(join(d, 'model.json'), '{ nope'));
  mk('card-escapes', (d) => writeFileSync(join(d, 'model.json'), card('escapes', { inpainter: '../secret/id_rsa' })));
  mk('card-dotdot', (d) => writeFileSync(join(d, 'model.json'), card('dotdot', { inpainter: '..' })));
  mk('symlink-file', (d) => {
    writeFileSync(join(d, 'model.json'), card('symlinked', { inpainter: 'inpainter.onnx' }));
    symlinkSync(join(secret, 'id_rsa'), join(d, 'inpainter.onnx'));
  });
  mk('fifo-file', (d) => {
    writeFileSync(join(d, 'model.json'), card('fifo', { inpainter: 'inpainter.onnx' }));
    execFileSync('mkfifo', [join(d, 'inpainter.onnx')]);
  });
  mk('symlink-card', (d) => symlinkSync(join(secret, 'id_rsa'), join(d, 'model.json')));
  if (shippedInpainter) {
    // A copy of the shipped inpainter claiming its id, and one with a link out of the package beside it.
    const shippedDir = join(shippedInpainter, '..');
    mk('claims-shipped-id', (d) => {
      for (const f of readdirSync(shippedDir)) if (f === 'model.json' || f.endsWith('.onnx') || f.endsWith('.gnvw')) writeFileSync(join(d, f), readFileSync(join(shippedDir, f)));
      const c = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
      c.provenance.source = 'imported';
      writeFileSync(join(d, 'model.json'), JSON.stringify(c));
    });
  }
  const fifo = join(dir, 'pipe.onnx');
  execFileSync('mkfifo', [fifo]);
  packages.push({ name: 'a FIFO as the file', path: fifo });
  packages.push({ name: 'missing path', path: join(dir, 'does-not-exist.onnx') });
  writeFileSync(join(dir, 'checkpoint.pkl'), modelFiles[3]!.bytes);
  packages.push({ name: 'a pickle', path: join(dir, 'checkpoint.pkl') });
  return { images, masks, modelFiles, packages, goodPng: good };
}
