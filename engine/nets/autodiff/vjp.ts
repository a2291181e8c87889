import type { TraceOps } from './trace-ops.js';
import type { Sym } from './sym.js';

const inverse = (p: number[]) => p.reduce<number[]>((inv, a, j) => ((inv[a] = j), inv), []);

/**
 * Vector-Jacobian products: for node y = op(inputs) and the gradient gy of a scalar loss with respect to y, the
 * gradients with respect to each input (null: none flows, e.g. into a derivative mask's argument, whose own
 * derivative is zero almost everywhere). Written with the recorder's primitives only, so they can be
 * differentiated again.
 */
export function vjp(t: TraceOps, y: Sym, gy: Sym): (Sym | null)[] {
  const [a, b] = y.inputs as [Sym, Sym];
  const ub = (g: Sym, x: Sym) => t.unbroadcast(g, x.shape);
  const at = y.attrs;
  switch (y.op) {
    case 'input': case 'param': case 'const':
      return [];
    case 'add':
      return [ub(gy, a), ub(gy, b)];
    case 'sub':
      return [ub(gy, a), ub(t.neg(gy), b)];
    case 'mul':
      return [ub(t.mul(gy, b), a), ub(t.mul(gy, a), b)];
    case 'div': // d(a/b)/db = −a/b² = −y/b
      return [ub(t.div(gy, b), a), ub(t.neg(t.div(t.mul(gy, y), b)), b)];
    case 'matmul':
      return [t.matmul(gy, t.transpose(b, [1, 0])), t.matmul(t.transpose(a, [1, 0]), gy)];
    case 'square':
      return [t.mul(t.mul(gy, a), 2)];
    case 'sqrt':
      return [t.div(t.mul(gy, 0.5), y)];
    case 'rsqrt': // y = x^(−1/2): dy/dx = −½·y³
      return [t.mul(t.mul(gy, t.mul(t.square(y), y)), -0.5)];
    case 'sigmoid':
      return [t.mul(gy, t.mul(y, t.sub(1, y)))];
    case 'tanh':
      return [t.mul(gy, t.sub(1, t.square(y)))];
    case 'softplus':
      return [t.mul(gy, t.sigmoid(a))];
    case 'leakyRelu':
      return [t.leakyReluGrad(a, gy, at.slope!, at.gain!)];
    case 'leakyReluGrad': // linear in g, piecewise constant in x
      return [null, t.leakyReluGrad(a, gy, at.slope!, at.gain!)];
    case 'clip':
      return [t.clipGrad(a, gy, at.lo!, at.hi!)];
    case 'clipGrad':
      return [null, t.clipGrad(a, gy, at.lo!, at.hi!)];
    case 'sum':
      return [t.broadcastTo(t.reshape(gy, a.shape.map((d, i) => (at.axes!.includes(i) ? 1 : d))), a.shape)];
    case 'reshape':
      return [t.reshape(gy, a.shape)];
    case 'transpose':
      return [t.transpose(gy, inverse(at.perm!))];
    case 'concat': {
      let begin = 0;
      return y.inputs.map((x) => t.slice(gy, at.axis!, (begin += x.shape[at.axis!]!) - x.shape[at.axis!]!, x.shape[at.axis!]!));
    }
    case 'slice':
      return [t.padZeros(gy, at.axis!, at.begin!, a.shape[at.axis!]! - at.begin! - at.size!)];
    case 'padZeros':
      return [t.slice(gy, at.axis!, at.before!, a.shape[at.axis!]!)];
    case 'broadcastTo':
      return [ub(gy, a)];
    case 'conv':
      return [t.convTranspose(gy, b, at.conv!, a.shape), t.convWeightGrad(a, gy, at.conv!, b.shape)];
    case 'convTranspose': // y = convᵀ(dy, w): <h, convᵀ(dy, w)> = <conv(h, w), dy>
      return [t.conv(gy, b, at.conv!), t.convWeightGrad(gy, a, at.conv!, b.shape)];
    case 'convWeightGrad': // y = dw(x, dy): <h, dw(x, dy)> = <conv(x, h), dy>
      return [t.convTranspose(b, gy, at.conv!, a.shape), t.conv(a, gy, at.conv!)];
    case 'upsample2x': // each input pixel feeds a 2×2 block: the sum over it
      return [t.mul(t.downsample2x(gy), 4)];
    case 'downsample2x':
      return [t.mul(t.upsample2x(gy), 0.25)];
  }
}
