import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { selectTrainingBackend } from '../nets/backend.js';

const require = createRequire(import.meta.url);

export type Point = { x: number; y: number };
export interface FaceLandmarks { leftEye: Point[]; rightEye: Point[]; mouth: Point[] }

const mean = (ps: Point[]): Point => ({ x: ps.reduce((s, p) => s + p.x, 0) / ps.length, y: ps.reduce((s, p) => s + p.y, 0) / ps.length });

/**
 * The crop FFHQ aligns faces with: from the eye and mouth centres, a square oriented along the eyes, sized to
 * about twice the eye distance and shifted slightly towards the mouth. Returns its corners: top-left,
 * bottom-left, bottom-right, top-right.
 */
export function ffhqQuad(l: FaceLandmarks): [Point, Point, Point, Point] {
  const eyeL = mean(l.leftEye), eyeR = mean(l.rightEye), mouth = mean(l.mouth);
  const eyeAvg = { x: (eyeL.x + eyeR.x) / 2, y: (eyeL.y + eyeR.y) / 2 };
  const eyeToEye = { x: eyeR.x - eyeL.x, y: eyeR.y - eyeL.y };
  const eyeToMouth = { x: mouth.x - eyeAvg.x, y: mouth.y - eyeAvg.y };
  // x: the eye axis, tilted to stay perpendicular to the eye–mouth axis; y: x turned 90°.
  let x = { x: eyeToEye.x + eyeToMouth.y, y: eyeToEye.y - eyeToMouth.x };
  const n = Math.hypot(x.x, x.y) || 1;
  const scale = Math.max(Math.hypot(eyeToEye.x, eyeToEye.y) * 2, Math.hypot(eyeToMouth.x, eyeToMouth.y) * 1.8);
  x = { x: (x.x / n) * scale, y: (x.y / n) * scale };
  const y = { x: -x.y, y: x.x };
  const c = { x: eyeAvg.x + eyeToMouth.x * 0.1, y: eyeAvg.y + eyeToMouth.y * 0.1 };
  return [
    { x: c.x - x.x - y.x, y: c.y - x.y - y.y }, { x: c.x - x.x + y.x, y: c.y - x.y + y.y },
    { x: c.x + x.x + y.x, y: c.y + x.y + y.y }, { x: c.x + x.x - y.x, y: c.y + x.y - y.y },
  ];
}

/** Resamples the quad (bilinear, edge-clamped) into a size × size RGB square. */
export function warpQuad(rgb: Uint8Array, w: number, h: number, quad: [Point, Point, Point, Point], size: number): Uint8Array {
  const [q0, q1, , q3] = quad;
  const out = new Uint8Array(size * size * 3);
  const px = (x: number, y: number, c: number) => rgb[(Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))) * 3 + c]!;
  for (let v = 0; v < size; v++) for (let u = 0; u < size; u++) {
    const fu = (u + 0.5) / size, fv = (v + 0.5) / size;
    const sx = q0.x + (q3.x - q0.x) * fu + (q1.x - q0.x) * fv - 0.5;
    const sy = q0.y + (q3.y - q0.y) * fu + (q1.y - q0.y) * fv - 0.5;
    const x0 = Math.floor(sx), y0 = Math.floor(sy), ax = sx - x0, ay = sy - y0;
    for (let c = 0; c < 3; c++) {
      const top = px(x0, y0, c) * (1 - ax) + px(x0 + 1, y0, c) * ax;
      const bottom = px(x0, y0 + 1, c) * (1 - ax) + px(x0 + 1, y0 + 1, c) * ax;
      out[(v * size + u) * 3 + c] = Math.round(top * (1 - ay) + bottom * ay);
    }
  }
  return out;
}

type FaceApi = typeof import('@vladmandic/face-api');
let faceApi: Promise<FaceApi> | null = null;

/** face-api's Node WebAssembly build with its SSD MobileNet detector and 68-point landmarks, loaded once. */
function loadFaceApi(): Promise<FaceApi> {
  faceApi ??= (async () => {
    await selectTrainingBackend('wasm');
    const api = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    const models = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
    await api.nets.ssdMobilenetv1.loadFromDisk(models);
    await api.nets.faceLandmark68Net.loadFromDisk(models);
    return api;
  })();
  return faceApi;
}

/** Finds the most confident face and its landmarks in an RGB image; null when there is none. */
export async function detectFace(rgb: Uint8Array, w: number, h: number): Promise<FaceLandmarks | null> {
  const api = await loadFaceApi();
  const input = api.tf.tensor3d(rgb, [h, w, 3], 'int32');
  try {
    const found = await api.detectSingleFace(input as never, new api.SsdMobilenetv1Options({ minConfidence: 0.5 })).withFaceLandmarks();
    if (!found) return null;
    const lm = found.landmarks;
    return { leftEye: lm.getLeftEye(), rightEye: lm.getRightEye(), mouth: lm.getMouth() };
  } finally {
    input.dispose();
  }
}
