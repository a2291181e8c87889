import { AttrType, DataType, ModelProto } from './proto.js';

export type Attr = number | string | number[] | { ints: number[] } | { float: number };
export type Dim = number | string;

interface NodeSpec { opType: string; input: string[]; output: string[]; name: string; attribute: object[] }

function attribute(name: string, v: Attr): object {
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: AttrType.INT, i: v } : { name, type: AttrType.FLOAT, f: v };
  }
  if (Array.isArray(v)) return { name, type: AttrType.FLOATS, floats: v };
  if ('ints' in v) return { name, type: AttrType.INTS, ints: v.ints };
  return { name, type: AttrType.FLOAT, f: v.float };
}

const valueInfo = (name: string, dims: Dim[]) => ({
  name,
  type: {
    tensorType: {
      elemType: DataType.FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/** Builds an ONNX graph node by node, naming intermediate values so that exported graphs read like the net. */
export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  input(name: string, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  output(value: string, name: string, dims: Dim[]): void {
    this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(name, dims));
  }

  /** A float32 constant stored in the model file. */
  const(name: string, data: Float32Array, dims: number[]): string {
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${data.length} values for dims ${dims}`);
    const unique = `${name}_${this.counter++}`;
    this.initializers.push({
      name: unique, dataType: DataType.FLOAT, dims,
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
    return unique;
  }

  /** An int64 constant (shapes, pads, indices); `dims` defaults to a 1-D vector, [] makes a scalar. */
  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    const unique = `${name}_${this.counter++}`;
    this.initializers.push({ name: unique, dataType: DataType.INT64, dims, rawData: bytes });
    return unique;
  }

  scalar(name: string, v: number): string {
    return this.const(name, new Float32Array([v]), []);
  }

  op(opType: string, input: string[], attrs: Record<string, Attr> = {}, outName?: string): string {
    const out = outName ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({
      opType, input, output: [out], name: `${opType}_${this.counter++}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** A node with several outputs (Split). */
  ops(opType: string, input: string[], attrs: Record<string, Attr>, outputs: number): string[] {
    const out = Array.from({ length: outputs }, () => `${opType.toLowerCase()}_${this.counter++}`);
    this.nodes.push({
      opType, input, output: out, name: `${opType}_${this.counter++}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** Serialises to an ONNX model (IR v8, default opset 17). */
  toBytes(docString = ''): Uint8Array {
    const model = ModelProto.fromObject({
      irVersion: 8,
      producerName: 'ganvas',
      producerVersion: '0.1.0',
      docString,
      opsetImport: [{ domain: '', version: 17 }],
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return ModelProto.encode(model).finish();
  }
}
