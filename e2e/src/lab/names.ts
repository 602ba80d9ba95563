// Run-specific names. Every network namespace, link, chain and table the lab creates carries the run
// prefix `sel` + 4 random characters, so one run never touches another's objects and `lab down --all`
// can find every leftover by name alone. Interface names stay within the kernel's 15 characters.
import { randomBytes } from 'node:crypto';

export const PREFIX_RE = /^sel[a-z0-9]{4}$/;
/** Any lab network namespace of any run: `<prefix>-<role>`. */
export const LAB_NETNS_RE = /^sel[a-z0-9]{4}-[a-z0-9-]+$/;
const IFNAMSIZ = 15;

export function randomPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(4);
  return 'sel' + [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

export function assertPrefix(prefix: string): void {
  if (!PREFIX_RE.test(prefix)) throw new Error(`lab prefix must match ${PREFIX_RE}: ${prefix}`);
}

/** Link name: prefix + suffix, refused when the kernel would truncate or reject it. */
export function linkName(prefix: string, suffix: string): string {
  const name = prefix + suffix;
  if (name.length > IFNAMSIZ) throw new Error(`interface name too long (>${IFNAMSIZ}): ${name}`);
  return name;
}

export interface LabNames {
  prefix: string;
  lanNs: string;
  routerNs: string;
  externalNs: string;
  nodeNs(i: number): string;
  managerNs(i: number): string;
  podNs(k: number): string;
  /** The LAN bridge, inside lanNs. */
  bridge: string;
  /** Uplink of a LAN member inside its own netns, and its bridge port in lanNs. */
  nodeUplink(i: number): string;
  nodeLanPort(i: number): string;
  managerUplink(i: number): string;
  managerLanPort(i: number): string;
  routerLan: string;
  routerLanPort: string;
  routerExt: string;
  externalIf: string;
  /** Pod k: its interface inside the pod netns, and the node-side peer. */
  podIf(k: number): string;
  podHostIf(k: number): string;
  /** The overlay CNI's VXLAN device on every node (not the product's segress.vx). */
  cniVxlan: string;
  /** iptables chain of the CNI's node masquerade, and the nft table of the overlay LAN filter. */
  masqChain: string;
  lanFilterTable: string;
}

export function labNames(prefix: string): LabNames {
  assertPrefix(prefix);
  const l = (s: string): string => linkName(prefix, s);
  return {
    prefix,
    lanNs: `${prefix}-lan`,
    routerNs: `${prefix}-rtr`,
    externalNs: `${prefix}-ext`,
    nodeNs: (i) => `${prefix}-n${i}`,
    managerNs: (i) => `${prefix}-m${i}`,
    podNs: (k) => `${prefix}-p${k}`,
    bridge: l('br'),
    nodeUplink: (i) => l(`n${i}`),
    nodeLanPort: (i) => l(`n${i}l`),
    managerUplink: (i) => l(`m${i}`),
    managerLanPort: (i) => l(`m${i}l`),
    routerLan: l('r'),
    routerLanPort: l('rl'),
    routerExt: l('rx'),
    externalIf: l('x'),
    podIf: (k) => l(`p${k}`),
    podHostIf: (k) => l(`v${k}`),
    cniVxlan: l('cni'),
    masqChain: `${prefix}-MASQ`,
    lanFilterTable: prefix,
  };
}
