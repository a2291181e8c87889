import { benchStore } from './store.js';
import { benchWire } from './wire.js';

export interface BenchRow {
  name: string;
  figure: number;
  unit: string;
  peer: string;
  peerFigure: number;
  /** peer time / our time: above 1 means we are faster. */
  ratio: number;
}

const rows: BenchRow[] = [...benchWire(), ...(await benchStore())];
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const fmt = (n: number) => (n < 1 ? n.toFixed(3) : n.toFixed(1));
  console.log('| benchmark | ours | peer | peer figure | ratio (peer/ours) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.figure)} ${r.unit} | ${r.peer} | ${fmt(r.peerFigure)} ${r.unit} | ${r.ratio.toFixed(2)}× |`);
}
