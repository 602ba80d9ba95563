// Names of the kernel objects we own, all derived from the configured prefixes.
import { createHash } from 'node:crypto';
import { ipFromHex, ipToHex, parseIP } from '@static-egress/crds';
import type { RenderConfig } from './types.js';

export const ipHex = ipToHex;

/**
 * An egress IP in an object name: its hex for IPv4 (8 digits, read back by hexIP); for IPv6, whose
 * 32 digits do not fit a chain (28) or set (31) name, 12 hex digits of its hash (per-IP counters
 * then go by the state's names, not by hexIP).
 */
export function ipTag(ip: string): string {
  if (parseIP(ip)?.family !== 6) return ipHex(ip);
  return createHash('sha256').update(ipHex(ip)).digest('hex').slice(0, 12);
}

/** The address in an object name written with ipHex; a name we did not write comes back as it is. */
export function hexIP(hex: string): string {
  return ipFromHex(hex) ?? hex;
}

export const chainNames = (c: Pick<RenderConfig, 'chainPrefix'>) => ({
  mark: `${c.chainPrefix}-MARK`,
  mss: `${c.chainPrefix}-MSS`,
  skip: `${c.chainPrefix}-SKIP`,
  snat: `${c.chainPrefix}-SNAT`,
  fwd: `${c.chainPrefix}-FWD`,
  input: `${c.chainPrefix}-IN`,
  markEntry: (ip: string) => `${c.chainPrefix}-M-${ipTag(ip).toUpperCase()}`,
  snatEntry: (ip: string) => `${c.chainPrefix}-S-${ipTag(ip).toUpperCase()}`,
  fwdEntry: (ip: string) => `${c.chainPrefix}-F-${ipTag(ip).toUpperCase()}`,
  /** leak guard of one policy (by its LeakGuardEntry id) */
  guardEntry: (id: string) => `${c.chainPrefix}-L-${id.toUpperCase()}`,
  /** the mark rules of one director class with several pins (by its id) */
  markClass: (id: string) => `${c.chainPrefix}-C-${id.toUpperCase()}`,
  /** the leak guards of one guard class with several policies (by its id) */
  guardClass: (id: string) => `${c.chainPrefix}-Q-${id.toUpperCase()}`,
});

export const setNames = (c: Pick<RenderConfig, 'ipsetPrefix'>) => ({
  /** the local pods of one director class (desired/classes.ts) */
  director: (id: string) => `${c.ipsetPrefix}-c-${id}`,
  gateway: (ip: string) => `${c.ipsetPrefix}-g-${ipTag(ip)}`,
  /** the pods, cluster-wide, of one guard class (leak guard) */
  guard: (id: string) => `${c.ipsetPrefix}-q-${id}`,
  temp: (name: string) => `${name}-t`,
});

/** Locally administered unicast MAC derived from a node IP, so peers need no discovery. */
export function vtepMAC(nodeIP: string): string {
  const h = ipHex(nodeIP);
  return `0e:5e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}`;
}

/** The fail-closed counting rules carry the policy key too (quoted like leakGuardComment's). */
export const FAILCLOSED_COMMENT_PREFIX = 'failclosed:';

/** Comments are at most 255 bytes (XT_MAX_COMMENT_LEN − 1). */
const MAX_COMMENT = 255;
export const LEAKGUARD_COMMENT_PREFIX = 'leakguard:';

/**
 * The leak guard's DROP rules carry the policy key, so their counters are per policy without any
 * other state. Written the way iptables-save prints it: a key always holds '/', so it is quoted
 * (Kubernetes names hold no quote or backslash that would need escaping).
 */
export function leakGuardComment(policyKey: string): string {
  return `"${`${LEAKGUARD_COMMENT_PREFIX}${policyKey}`.slice(0, MAX_COMMENT)}"`;
}

export function failClosedComment(policyKey: string): string {
  return `"${`${FAILCLOSED_COMMENT_PREFIX}${policyKey}`.slice(0, MAX_COMMENT)}"`;
}
