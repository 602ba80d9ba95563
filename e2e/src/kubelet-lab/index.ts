export { KubeletLab, kubeletLabBaseDir, type KubeletLabOptions } from './lab.js';
export { resolveNodeArtifacts } from './artifacts.js';
