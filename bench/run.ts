import { benchNets } from './nets.js';
import { benchSlider } from './slider.js';
import { benchStore } from './store.js';
import { benchTrainOrt } from './train-ort.js';
import { benchWire } from './wire.js';

export interface BenchRow {
  name: string;
  figure: number;
  unit: string;
  peer: string;
  peerFigure: number;
  /** peer time / our time: above 1 means we are faster. */
  ratio: number;
  /** images per second, for the nets */
  throughput?: number;
  peerThroughput?: number;
}

const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const rows: BenchRow[] = [
  ...(!only || only === 'wire' ? benchWire() : []),
  ...(!only || only === 'store' ? await benchStore() : []),
  ...(!only || only === 'nets' ? await benchNets() : []),
  ...(!only || only === 'slider' ? await benchSlider() : []),
  ...(!only || only === 'train' ? await benchTrainOrt() : []),
];
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const fmt = (n: number) => (n < 1 ? n.toFixed(3) : n.toFixed(1));
  const ips = (n?: number) => (n === undefined || Number.isNaN(n) ? '' : ` (${fmt(n)} img/s)`); // for the slider: frames/s
  console.log('| benchmark | ours | peer | peer figure | ratio (peer/ours) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${fmt(r.figure)} ${r.unit}${ips(r.throughput)} | ${r.peer} | ${fmt(r.peerFigure)} ${r.unit}${ips(r.peerThroughput)} | ${r.ratio.toFixed(2)}× |`);
  }
}
