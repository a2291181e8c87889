import { decodeFrame, encodeFrame } from '../engine/api/wire.js';
import type { BenchRow } from './run.js';

/**
 * Why images cross the engine boundary as binary: our MessagePack frame against the obvious peer, JSON with the
 * bytes as base64, for one import-sized payload, encode + decode, measured in the same run.
 */
export function benchWire(): BenchRow[] {
  const bytes = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
  const reps = 20;
  const time = (fn: () => void) => {
    fn();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return (performance.now() - t0) / reps;
  };
  const ours = time(() => {
    const f = decodeFrame(encodeFrame({ t: 'call', id: 1, m: 'layer.import', p: { name: 'x.png', bytes } }));
    if (f.t !== 'call') throw new Error('bad frame');
  });
  const peer = time(() => {
    const text = JSON.stringify({ t: 'call', id: 1, m: 'layer.import', p: { name: 'x.png', bytes: Buffer.from(bytes).toString('base64') } });
    const back = JSON.parse(text) as { p: { bytes: string } };
    if (Buffer.from(back.p.bytes, 'base64').length !== bytes.length) throw new Error('bad json');
  });
  return [{ name: 'wire: 8 MiB image, encode+decode', figure: ours, unit: 'ms', peer: 'JSON+base64', peerFigure: peer, ratio: peer / ours }];
}
