import { EngineError } from '../api/errors.js';
import type { ModelCard } from './package.js';
import type { Session, ValueSpec } from './onnx.js';

/** One expected tensor: element type float32 and dims, where null accepts any size (batch, free height/width). */
interface Expect { what: string; dims: (number | null)[] }

const fmt = (dims: readonly (number | string | null)[]) => `[${dims.map((d) => (d === null || d === -1 ? '?' : d)).join(', ')}]`;

function check(file: string, role: 'input' | 'output', actual: ValueSpec, expect: Expect): void {
  if (actual.type !== 'float32') {
    throw new EngineError('bad_model', `${file}: ${role} ${actual.name} (${expect.what}) is ${actual.type}; Ganvas needs float32`);
  }
  const ok = actual.dims.length === expect.dims.length &&
    expect.dims.every((d, i) => d === null || typeof actual.dims[i] !== 'number' || actual.dims[i] === -1 || actual.dims[i] === d);
  if (!ok) {
    throw new EngineError('bad_model', `${file}: ${role} ${actual.name} has shape ${fmt(actual.dims)}; ${expect.what} must be ${fmt(expect.dims)}`);
  }
}

function checkAll(file: string, session: Session, inputs: Expect[], outputs: Expect[]): void {
  if (session.inputs.length !== inputs.length) {
    throw new EngineError('bad_model', `${file}: has ${session.inputs.length} input(s) (${session.inputs.map((i) => i.name).join(', ')}); expected ${inputs.length}: ${inputs.map((i) => i.what).join(', ')}`);
  }
  if (session.outputs.length < outputs.length) {
    throw new EngineError('bad_model', `${file}: has ${session.outputs.length} output(s); expected ${outputs.map((o) => o.what).join(', ')}`);
  }
  inputs.forEach((e, i) => check(file, 'input', session.inputs[i]!, e));
  outputs.forEach((e, i) => check(file, 'output', session.outputs[i]!, e));
}

/**
 * Checks each ONNX graph of a package against the signature its kind promises, with the sizes model.json
 * claims, so a card that lies about shapes or a foreign model with other inputs is refused by name.
 */
export function checkSignature(card: ModelCard, sessions: Partial<Record<'mapping' | 'synthesis' | 'generator' | 'inpainter', Session>>): void {
  const r = card.resolution;
  const image = (what: string, size: number | null): Expect => ({ what, dims: [null, 3, size, size] });
  if (card.kind === 'inpainter') {
    const s = sessions.inpainter;
    if (!s) throw new EngineError('bad_model', `${card.id}: an inpainter package needs an inpainter ONNX file`);
    checkAll(card.files.inpainter!, s, [image('image [B, 3, H, W] in [-1, 1]', null), { what: 'mask [B, 1, H, W] (1 = hole)', dims: [null, 1, null, null] }], [image('the inpainted image [B, 3, H, W]', null)]);
    return;
  }
  const g = card.generator;
  if (!g) throw new EngineError('bad_model', `${card.id}: a generator's model.json needs a "generator" section (zDim …)`);
  if (sessions.mapping && sessions.synthesis) {
    if (!g.wDim || !g.numWs) throw new EngineError('bad_model', `${card.id}: a style-based generator's model.json needs generator.wDim and generator.numWs`);
    checkAll(card.files.mapping!, sessions.mapping, [{ what: `z [B, ${g.zDim}]`, dims: [null, g.zDim] }, { what: 'psi [1]', dims: [1] }], [{ what: `w [B, ${g.wDim}]`, dims: [null, g.wDim] }]);
    checkAll(card.files.synthesis!, sessions.synthesis, [{ what: `ws [B, ${g.numWs}, ${g.wDim}]`, dims: [null, g.numWs, g.wDim] }], [image(`image [B, 3, ${r}, ${r}]`, r)]);
  } else if (sessions.generator) {
    checkAll(card.files.generator!, sessions.generator, [{ what: `z [B, ${g.zDim}]`, dims: [null, g.zDim] }], [image(`image [B, 3, ${r}, ${r}]`, r)]);
  } else {
    throw new EngineError('bad_model', `${card.id}: a generator package needs mapping + synthesis ONNX files, or one generator file (z → image)`);
  }
}
