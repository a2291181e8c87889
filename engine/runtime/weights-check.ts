import { EngineError } from '../api/errors.js';
import { Discriminator } from '../nets/discriminator.js';
import { Generator } from '../nets/generator.js';
import { Inpainter } from '../nets/inpainter.js';
import { readWeights } from '../nets/weights.js';
import type { ModelCard } from './package.js';

/** The trainable architecture a card describes, as the training core builds it. */
export function generatorConfig(card: ModelCard) {
  const g = card.generator;
  if (!g?.wDim || !g.mappingLayers || !g.channels) throw new EngineError('bad_model', `${card.id}: model.json lacks the generator sizes (wDim, mappingLayers, channels) needed to train it`);
  const channels = Object.fromEntries(Object.entries(g.channels).map(([k, v]) => [Number(k), v]));
  return { zDim: g.zDim, wDim: g.wDim, mappingLayers: g.mappingLayers, resolution: card.resolution, channels };
}

/** Loads a package's weights into the nets its card describes: a file of the wrong sizes is refused by tensor name. */
export function checkWeights(card: ModelCard, bytes: Uint8Array): void {
  const nets = [];
  try {
    const weights = readWeights(bytes, `${card.id}/${card.files.weights}`);
    if (card.kind === 'generator') {
      const config = generatorConfig(card);
      const G = new Generator(config);
      nets.push(G);
      G.load(weights, 'G_ema.');
      if ([...weights.keys()].some((k) => k.startsWith('D.'))) {
        const D = new Discriminator({ resolution: card.resolution, channels: config.channels });
        nets.push(D);
        D.load(weights, 'D.');
      }
    } else {
      const I = new Inpainter({ resolution: card.resolution, channels: card.inpainter?.channels ?? 16, prefill: card.inpainter?.prefill === 'pyramid' });
      nets.push(I);
      I.load(weights, 'G.');
    }
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('bad_model', `${card.id}: its weights do not fit the network model.json describes: ${(err as Error).message}`);
  } finally {
    for (const n of nets) n.dispose();
  }
}
