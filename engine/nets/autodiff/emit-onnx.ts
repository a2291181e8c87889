import { GraphBuilder } from '../onnx/graph.js';
import { ancestors, type Sym } from './sym.js';

export interface EmittedGraph {
  bytes: Uint8Array;
  /** The graph's inputs (params, data, noise, scalars), in the order met; every one must be fed. */
  inputs: { name: string; shape: number[] }[];
}

/**
 * Writes the Syms that `outputs` depend on as one ONNX graph (IR 8, opset 17) through the shared GraphBuilder.
 * Input and param Syms become graph inputs (so weights and optimiser state are fed, not baked in); const Syms
 * become initializers.
 */
export function emitOnnx(graphName: string, outputs: Record<string, Sym>, docString = ''): EmittedGraph {
  const g = new GraphBuilder(graphName);
  const names = new Map<number, string>();
  const inputs: EmittedGraph['inputs'] = [];
  const seenInputs = new Map<string, number>();
  const ints = (name: string, v: number[]) => g.int64(name, v);
  const scalar = (v: number) => g.scalar('k', v);

  for (const s of ancestors(Object.values(outputs))) {
    const x = s.inputs.map((i) => names.get(i.id)!);
    const at = s.attrs;
    let out: string;
    switch (s.op) {
      case 'input': case 'param': {
        const prior = seenInputs.get(at.name!);
        if (prior !== undefined && prior !== s.id) throw new Error(`emitOnnx: two inputs named ${at.name}`);
        seenInputs.set(at.name!, s.id);
        out = g.input(at.name!, s.shape);
        inputs.push({ name: at.name!, shape: s.shape });
        break;
      }
      case 'const':
        out = g.const('c', at.data!, s.shape);
        break;
      case 'add': out = g.op('Add', x); break;
      case 'sub': out = g.op('Sub', x); break;
      case 'mul': out = g.op('Mul', x); break;
      case 'div': out = g.op('Div', x); break;
      case 'matmul': out = g.op('MatMul', x); break;
      case 'square': out = g.op('Mul', [x[0]!, x[0]!]); break;
      case 'sqrt': out = g.op('Sqrt', x); break;
      case 'rsqrt': out = g.op('Reciprocal', [g.op('Sqrt', x)]); break;
      case 'sigmoid': out = g.op('Sigmoid', x); break;
      case 'tanh': out = g.op('Tanh', x); break;
      case 'softplus': out = g.op('Softplus', x); break;
      case 'leakyRelu': {
        const y = g.op('LeakyRelu', x, { alpha: { float: at.slope! } });
        out = at.gain === 1 ? y : g.op('Mul', [y, scalar(at.gain!)]);
        break;
      }
      case 'leakyReluGrad': {
        const slopeOf = g.op('Where', [g.op('Greater', [x[0]!, scalar(0)]), scalar(at.gain!), scalar(at.slope! * at.gain!)]);
        out = g.op('Mul', [x[1]!, slopeOf]);
        break;
      }
      case 'clip': out = g.op('Clip', [x[0]!, scalar(at.lo!), scalar(at.hi!)]); break;
      case 'clipGrad': {
        const inside = g.op('And', [g.op('Greater', [x[0]!, scalar(at.lo!)]), g.op('Less', [x[0]!, scalar(at.hi!)])]);
        out = g.op('Mul', [x[1]!, g.op('Cast', [inside], { to: 1 })]);
        break;
      }
      case 'sum': out = g.op('ReduceSum', [x[0]!, ints('axes', at.axes!)], { keepdims: at.keepDims ? 1 : 0 }); break;
      case 'reshape': out = g.op('Reshape', [x[0]!, ints('shape', s.shape)]); break;
      case 'transpose': out = g.op('Transpose', x, { perm: { ints: at.perm! } }); break;
      case 'concat': out = g.op('Concat', x, { axis: at.axis! }); break;
      case 'slice': out = g.op('Slice', [x[0]!, ints('starts', [at.begin!]), ints('ends', [at.begin! + at.size!]), ints('axes', [at.axis!])]); break;
      case 'padZeros': {
        const rank = s.shape.length;
        const pads = [...Array(2 * rank).fill(0)];
        pads[at.axis!] = at.before!;
        pads[rank + at.axis!] = at.after!;
        out = g.op('Pad', [x[0]!, ints('pads', pads)]);
        break;
      }
      case 'broadcastTo': out = g.op('Expand', [x[0]!, ints('shape', s.shape)]); break;
      case 'conv': {
        const c = at.conv!, k = s.inputs[1]!.shape[2]!;
        out = g.op('Conv', x, {
          kernel_shape: { ints: [k, k] }, pads: { ints: [c.pad, c.pad, c.pad, c.pad] }, strides: { ints: [c.stride, c.stride] },
          dilations: { ints: [c.dilation, c.dilation] }, group: c.group,
        });
        break;
      }
      case 'convTranspose': {
        // Output size stride·(in−1) + dilation·(k−1) + 1 − 2·pad, plus output_padding for the rows a strided conv skipped.
        const c = at.conv!, k = s.inputs[1]!.shape[2]!, [, , ho, wo] = s.inputs[0]!.shape;
        const base = (n: number) => c.stride * (n - 1) + c.dilation * (k - 1) + 1 - 2 * c.pad;
        out = g.op('ConvTranspose', x, {
          kernel_shape: { ints: [k, k] }, pads: { ints: [c.pad, c.pad, c.pad, c.pad] }, strides: { ints: [c.stride, c.stride] },
          dilations: { ints: [c.dilation, c.dilation] }, group: c.group,
          output_padding: { ints: [s.shape[2]! - base(ho!), s.shape[3]! - base(wo!)] },
        });
        break;
      }
      case 'convWeightGrad': out = emitWeightGrad(g, s, x[0]!, x[1]!); break;
      case 'upsample2x':
        out = g.op('Resize', [x[0]!, '', g.const('scales', new Float32Array([1, 1, 2, 2]), [4])], {
          mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor',
        });
        break;
      case 'downsample2x': out = g.op('AveragePool', x, { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }); break;
    }
    names.set(s.id, out);
  }
  for (const [name, s] of Object.entries(outputs)) g.output(names.get(s.id)!, name, s.shape);
  return { bytes: g.toBytes(docString), inputs };
}

/**
 * dW of a conv as a conv over the batch: with channels and batch swapped, the input [Ci, B, H, W] convolved with
 * dy [Co, B, Ho, Wo] as the kernel (the forward's stride becomes the dilation and vice versa) gives [Ci, Co, k', k'],
 * which is dWᵀ (k' ≥ k; a strided conv's unused last rows are cut). Depthwise: one group per channel.
 */
function emitWeightGrad(g: GraphBuilder, s: Sym, x: string, dy: string): string {
  const c = s.attrs.conv!;
  const [b, ci, h, w] = s.inputs[0]!.shape as [number, number, number, number];
  const [, co, ho, wo] = s.inputs[1]!.shape as [number, number, number, number];
  const k = s.shape[2]!;
  const attrs = {
    kernel_shape: { ints: [ho, wo] }, pads: { ints: [c.pad, c.pad, c.pad, c.pad] }, strides: { ints: [c.dilation, c.dilation] },
    dilations: { ints: [c.stride, c.stride] },
  };
  const kOut = (n: number, m: number) => Math.floor((n + 2 * c.pad - c.stride * (m - 1) - 1) / c.dilation) + 1;
  const cut = (v: string) => (kOut(h, ho) === k && kOut(w, wo) === k ? v
    : g.op('Slice', [v, g.int64('starts', [0, 0]), g.int64('ends', [k, k]), g.int64('axes', [2, 3])]));
  const xT = g.op('Transpose', [x], { perm: { ints: [1, 0, 2, 3] } });
  const dyT = g.op('Transpose', [dy], { perm: { ints: [1, 0, 2, 3] } });
  if (c.group === 1) {
    const dwT = cut(g.op('Conv', [xT, dyT], attrs)); // [Ci, Co, k, k]
    return g.op('Transpose', [dwT], { perm: { ints: [1, 0, 2, 3] } });
  }
  if (c.group !== ci || co !== ci) throw new Error(`emitOnnx: weight gradient of a grouped conv (group ${c.group}) other than depthwise`);
  const xs = g.op('Reshape', [xT, g.int64('shape', [1, ci * b, h, w])]);
  const dw = cut(g.op('Conv', [xs, dyT], { ...attrs, group: ci })); // [1, C, k, k]
  return g.op('Reshape', [dw, g.int64('shape', s.shape)]);
}
