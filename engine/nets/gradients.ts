// tfjs-core registers no gradients, and its ESM sources (which would) cannot be loaded by Node; the umbrella
// package's Node bundle registers all of them against the same tfjs-core instance. Only code that takes gradients
// (training, projection, face alignment) imports it, through backend.ts.
import '@tensorflow/tfjs';
import './tfjs-gradient-fixes.js';
