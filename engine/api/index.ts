export * from './schemas.js';
export * from './contract.js';
export * from './errors.js';
export * from './client.js';
export * from './dispatch.js';
export * from './wire.js';
export * from './limits.js';
