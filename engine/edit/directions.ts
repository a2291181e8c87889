/** Directions in w: unsupervised (SeFa, GANSpace) and from user-tagged samples (mean difference, linear boundary). */
import { normalize, norm } from './latent-space.js';

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi): eigenvalues descending, vectors as rows. */
export function symmetricEigen(a: Float64Array, n: number): { values: number[]; vectors: Float32Array[] } {
  const A = Float64Array.from(a);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (off < 1e-20) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = A[p * n + q]!;
      if (Math.abs(apq) < 1e-30) continue;
      const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < n; k++) {
        const akp = A[k * n + p]!, akq = A[k * n + q]!;
        A[k * n + p] = c * akp - s * akq;
        A[k * n + q] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) {
        const apk = A[p * n + k]!, aqk = A[q * n + k]!;
        A[p * n + k] = c * apk - s * aqk;
        A[q * n + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < n; k++) {
        const vkp = V[k * n + p]!, vkq = V[k * n + q]!;
        V[k * n + p] = c * vkp - s * vkq;
        V[k * n + q] = s * vkp + c * vkq;
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j]! - A[i * n + i]!);
  return {
    values: order.map((i) => A[i * n + i]!),
    vectors: order.map((i) => Float32Array.from({ length: n }, (_, k) => V[k * n + i]!)),
  };
}

/**
 * SeFa (Shen & Zhou 2021): the directions a layer range responds to most are the top eigenvectors of AᵀA,
 * where A stacks the style (affine) weights of the layers in the range. Closed form, no sampling.
 */
export function sefa(affineWeights: { data: Float32Array; inDim: number; outDim: number }[], count: number): { vectors: Float32Array[]; values: number[] } {
  const n = affineWeights[0]!.inDim;
  const ata = new Float64Array(n * n);
  for (const { data, inDim, outDim } of affineWeights) {
    // data is [inDim (w), outDim (channels)]; AᵀA in w space is Σ_c a_c a_cᵀ over the columns, normalised per layer.
    const cols = Array.from({ length: outDim }, (_, c) => Float32Array.from({ length: inDim }, (_, i) => data[i * outDim + c]!));
    const scale = 1 / Math.sqrt(cols.reduce((s, col) => s + norm(col) ** 2, 0) / outDim || 1);
    for (const col of cols) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ata[i * n + j] = ata[i * n + j]! + col[i]! * col[j]! * scale * scale;
  }
  const { values, vectors } = symmetricEigen(ata, n);
  return { vectors: vectors.slice(0, count), values: values.slice(0, count) };
}

/** GANSpace (Härkönen et al. 2020): principal components of sampled w, with their standard deviations. */
export function ganspace(ws: Float32Array[], count: number): { vectors: Float32Array[]; sigmas: number[]; mean: Float32Array } {
  const n = ws[0]!.length;
  const mean = new Float32Array(n);
  for (const w of ws) for (let i = 0; i < n; i++) mean[i] = mean[i]! + w[i]! / ws.length;
  const cov = new Float64Array(n * n);
  for (const w of ws) {
    const c = w.map((v, i) => v - mean[i]!);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) cov[i * n + j] = cov[i * n + j]! + (c[i]! * c[j]!) / (ws.length - 1);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) cov[i * n + j] = cov[j * n + i]!;
  const { values, vectors } = symmetricEigen(cov, n);
  return { vectors: vectors.slice(0, count), sigmas: values.slice(0, count).map((v) => Math.sqrt(Math.max(0, v))), mean };
}

/** The attribute direction as the difference of the two sets' means (DCGAN's vector arithmetic). */
export function meanDifference(positive: Float32Array[], negative: Float32Array[]): Float32Array {
  const mean = (set: Float32Array[]) => set[0]!.map((_, i) => set.reduce((s, v) => s + v[i]!, 0) / set.length);
  const a = mean(positive), b = mean(negative);
  return normalize(a.map((v, i) => v - b[i]!));
}

/**
 * InterFaceGAN's boundary: the normal of a linear classifier separating the sets (logistic regression by
 * gradient descent on standardised inputs, L2-regularised), as a unit vector in w.
 */
export function linearBoundary(positive: Float32Array[], negative: Float32Array[], steps = 500): Float32Array {
  const xs = [...positive, ...negative], ys = [...positive.map(() => 1), ...negative.map(() => 0)];
  const n = xs[0]!.length;
  const mu = new Float64Array(n), sd = new Float64Array(n);
  for (const x of xs) for (let i = 0; i < n; i++) mu[i] = mu[i]! + x[i]! / xs.length;
  for (const x of xs) for (let i = 0; i < n; i++) sd[i] = sd[i]! + (x[i]! - mu[i]!) ** 2 / xs.length;
  for (let i = 0; i < n; i++) sd[i] = Math.sqrt(sd[i]!) || 1;
  const w = new Float64Array(n);
  let b = 0;
  const lr = 0.1, lambda = 1e-3;
  for (let s = 0; s < steps; s++) {
    const g = new Float64Array(n);
    let gb = 0;
    xs.forEach((x, k) => {
      let z = b;
      for (let i = 0; i < n; i++) z += w[i]! * (x[i]! - mu[i]!) / sd[i]!;
      const err = 1 / (1 + Math.exp(-z)) - ys[k]!;
      for (let i = 0; i < n; i++) g[i] = g[i]! + (err * (x[i]! - mu[i]!)) / sd[i]! / xs.length;
      gb += err / xs.length;
    });
    for (let i = 0; i < n; i++) w[i] = w[i]! - lr * (g[i]! + lambda * w[i]!);
    b -= lr * gb;
  }
  // Back to w's own coordinates: the normal of the boundary there is w_i / sd_i.
  return normalize(Float32Array.from(w, (v, i) => v / sd[i]!));
}
