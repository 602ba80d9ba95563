export * from './constants.js';
export * from './generated/types.js';
export * from './ip/index.js';
export * from './semantics/index.js';
