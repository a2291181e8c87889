import { EngineError } from '../api/errors.js';
import type { InpainterIo, ModelCard } from './package.js';
import type { Session, ValueSpec } from './onnx.js';

/** One expected tensor: element type float32 and dims, where null accepts any size (batch, free height/width). */
interface Expect { what: string; dims: (number | null)[] }

const fmt = (dims: readonly (number | string | null)[]) => `[${dims.map((d) => (d === null || d === -1 ? '?' : d)).join(', ')}]`;

/** The shape check every signature shares: same rank, and each fixed expected dim met (symbolic dims pass). */
function checkDims(file: string, role: 'input' | 'output', actual: ValueSpec, expect: Expect): void {
  const ok = actual.dims.length === expect.dims.length &&
    expect.dims.every((d, i) => d === null || typeof actual.dims[i] !== 'number' || actual.dims[i] === -1 || actual.dims[i] === d);
  if (!ok) {
    throw new EngineError('bad_model', `${file}: ${role} ${actual.name} has shape ${fmt(actual.dims)}; ${expect.what} must be ${fmt(expect.dims)}`);
  }
}

function check(file: string, role: 'input' | 'output', actual: ValueSpec, expect: Expect): void {
  if (actual.type !== 'float32') {
    throw new EngineError('bad_model', `${file}: ${role} ${actual.name} (${expect.what}) is ${actual.type}; Ganvas needs float32`);
  }
  checkDims(file, role, actual, expect);
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
    if (card.inpainter?.io) {
      checkInpainterIo(card.files.inpainter!, s, card.inpainter.io, card.inpainter.fixed ?? null);
      return;
    }
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

/**
 * An inpainter whose card records its conventions (an import): each named tensor must exist with the element
 * type and shape model.json records, so a card edited to other conventions than its file's is refused.
 */
function checkInpainterIo(file: string, session: Session, io: InpainterIo, fixed: number | null): void {
  const range = (r: readonly number[]) => `${r[0]}..${r[1]}`;
  const find = (role: 'input' | 'output', name: string, what: string): ValueSpec => {
    const list = role === 'input' ? session.inputs : session.outputs;
    const v = list.find((x) => x.name === name);
    if (!v) throw new EngineError('bad_model', `${file}: model.json names ${role} ${name} (${what}) but the graph's ${role}s are ${list.map((x) => x.name).join(', ')}`);
    return v;
  };
  const expect = (role: 'input' | 'output', name: string, what: string, type: string, dims: (number | null)[]) => {
    const v = find(role, name, what);
    if (v.type !== type) throw new EngineError('bad_model', `${file}: ${role} ${name} (${what}) is ${v.type}; model.json records ${type}`);
    checkDims(file, role, v, { what, dims });
  };
  const inputs = io.layout === 'stacked' ? 1 : 2;
  if (session.inputs.length !== inputs) {
    throw new EngineError('bad_model', `${file}: has ${session.inputs.length} input(s) (${session.inputs.map((i) => i.name).join(', ')}); model.json records ${inputs} (${io.layout})`);
  }
  const f = fixed;
  if (io.layout === 'stacked') {
    expect('input', io.names.image, `image + mask [B, 4, H, W], image in ${range(io.image.range)}`, io.image.type, [null, 4, f, f]);
  } else {
    expect('input', io.names.image, `image [B, 3, H, W] in ${range(io.image.range)}`, io.image.type, [null, 3, f, f]);
    expect('input', io.names.mask ?? 'mask', `mask [B, 1, H, W] (${io.mask.hole} = hole)`, io.mask.type, [null, 1, f, f]);
  }
  expect('output', io.names.output, `image [B, 3, H, W] in ${range(io.output.range)}`, io.output.type, [null, 3, null, null]);
}
