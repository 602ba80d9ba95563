// Names of the kernel objects we own, all derived from the configured prefixes.
import type { RenderConfig } from './types.js';

export function ipHex(ip: string): string {
  return ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');
}

export function hexIP(hex: string): string {
  const out: number[] = [];
  for (let i = 0; i < 8; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out.join('.');
}

export const chainNames = (c: Pick<RenderConfig, 'chainPrefix'>) => ({
  mark: `${c.chainPrefix}-MARK`,
  mss: `${c.chainPrefix}-MSS`,
  skip: `${c.chainPrefix}-SKIP`,
  snat: `${c.chainPrefix}-SNAT`,
  fwd: `${c.chainPrefix}-FWD`,
  markEntry: (ip: string) => `${c.chainPrefix}-M-${ipHex(ip).toUpperCase()}`,
  snatEntry: (ip: string) => `${c.chainPrefix}-S-${ipHex(ip).toUpperCase()}`,
  fwdEntry: (ip: string) => `${c.chainPrefix}-F-${ipHex(ip).toUpperCase()}`,
});

export const setNames = (c: Pick<RenderConfig, 'ipsetPrefix'>) => ({
  director: (ip: string) => `${c.ipsetPrefix}-d-${ipHex(ip)}`,
  gateway: (ip: string) => `${c.ipsetPrefix}-g-${ipHex(ip)}`,
  temp: (name: string) => `${name}-t`,
});

/** Locally administered unicast MAC derived from a node IP, so peers need no discovery. */
export function vtepMAC(nodeIP: string): string {
  const h = ipHex(nodeIP);
  return `0e:5e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}`;
}

export const FAILCLOSED_COMMENT = 'failclosed';
