import recipeJson from './recipe.json' with { type: 'json' };
import type { Augment } from './augment.js';

/** The settings of one training loop, as engine/train/recipe.json states them. */
export interface Recipe {
  batch: number;
  lr: { G: number; D: number };
  adam: { beta1: number; beta2: number; eps: number };
  /** R1 weight γ; the penalty runs every `every` D steps, scaled up to match (lazy regularisation). */
  r1: { gamma: number; every: number };
  /** Probability that a batch of fakes takes its fine rows of ws from a second latent (StyleGAN's mixing regularisation). */
  styleMixing: number;
  noise: 'const' | 'random';
  /** Half-life of the EMA of G's weights in thousands of images; with rampUp, at most rampUp × images seen. */
  ema: { halfLifeKimg: number; rampUp: number | null };
  /** Momentum of the mapping net's running mean of w (the truncation centre). */
  wAvgBeta: number;
  augment: Augment[];
}

type RecipeFile = Recipe & { about: string; loss: string; fineTune: Partial<Recipe> & { why: Record<string, string> } };
const file = recipeJson as unknown as RecipeFile;

/** Pretraining's settings: the recipe's top level (build/models/train_generator.py reads the same keys). */
export function pretrainRecipe(): Recipe {
  const { about: _about, loss: _loss, fineTune: _fineTune, ...base } = structuredClone(file);
  return base;
}

/** Fine-tuning's settings: the top level with `fineTune` laid over it, key by key. */
export function fineTuneRecipe(): Recipe {
  const { why: _why, ...overrides } = structuredClone(file.fineTune);
  return { ...pretrainRecipe(), ...overrides };
}
