import { EngineError } from '../api/errors.js';

type Ort = typeof import('onnxruntime-node');
let ort: Ort | null = null;

/** onnxruntime-node is loaded on first use: start-up and the CLI's non-GAN commands never pay for it. */
async function runtime(): Promise<Ort> {
  ort ??= await import('onnxruntime-node');
  return ort;
}

/** A graph input or output as the file declares it; symbolic or unknown dims are strings or -1. */
export interface ValueSpec { name: string; type: string; dims: readonly (number | string)[] }

/** Element types Ganvas feeds and reads: float32 (its own graphs, LaMa) and uint8 (MI-GAN pipelines). */
export type TensorData = Float32Array | Uint8Array;
/** A feed: the typed array's class picks the element type. */
export interface Feed { data: TensorData; dims: readonly number[] }
/** An output, tagged by element type. */
export type Tensor =
  | { type: 'float32'; data: Float32Array; dims: readonly number[] }
  | { type: 'uint8'; data: Uint8Array; dims: readonly number[] };

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  /** Feeds float32 or uint8 tensors; every output must be float32 (refused by name otherwise: use runTensors). */
  run(feeds: Record<string, Feed>): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>;
  /**
   * Feeds float32 or uint8 tensors and returns each output with its element type. `quiet`: onnxruntime logs
   * nothing when the run fails (import probes try sizes a graph may refuse; the error is thrown all the same).
   */
  runTensors(feeds: Record<string, Feed>, opts?: { quiet?: boolean }): Promise<Record<string, Tensor>>;
}

/** Every forward pass goes through here: one onnxruntime session per model file, CPU unless told otherwise. */
export async function openSession(model: Uint8Array, what: string): Promise<Session> {
  const o = await runtime();
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await o.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 2 });
  } catch (err) {
    throw new EngineError('bad_model', `${what} is not a model onnxruntime can load: ${(err as Error).message.split('\n')[0]}`);
  }
  const spec = (m: import('onnxruntime-node').InferenceSession.ValueMetadata): ValueSpec =>
    m.isTensor ? { name: m.name, type: m.type, dims: m.shape } : { name: m.name, type: 'non-tensor', dims: [] };
  const runTensors = async (feeds: Record<string, Feed>, opts: { quiet?: boolean } = {}): Promise<Record<string, Tensor>> => {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [
      k, v.data instanceof Uint8Array ? new o.Tensor('uint8', v.data, v.dims) : new o.Tensor('float32', v.data, v.dims),
    ]));
    const out = await session.run(tensors, opts.quiet ? { logSeverityLevel: 4 } : {});
    return Object.fromEntries(Object.entries(out).map(([k, t]): [string, Tensor] => {
      if (t.type === 'float32') return [k, { type: 'float32', data: t.data as Float32Array, dims: t.dims }];
      if (t.type === 'uint8') return [k, { type: 'uint8', data: t.data as Uint8Array, dims: t.dims }];
      throw new EngineError('bad_model', `${what}: output ${k} is ${t.type}; Ganvas reads float32 or uint8 outputs`);
    }));
  };
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputs: session.inputMetadata.map(spec),
    outputs: session.outputMetadata.map(spec),
    runTensors,
    async run(feeds) {
      const out = await runTensors(feeds);
      return Object.fromEntries(Object.entries(out).map(([k, t]) => {
        if (t.type !== 'float32') throw new EngineError('bad_model', `${what}: output ${k} is ${t.type} where float32 was expected`);
        return [k, { data: t.data, dims: t.dims }];
      }));
    },
  };
}
