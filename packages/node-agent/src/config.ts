// node-agent flags (docs/CONTRACTS.md). Pure: argv + env → Config, or FlagError (exit 2).
import { FlagError, addrFlag, durationFlag, intFlag, parseFlags } from '@static-egress/controller-kit';
import { AGENT_HEALTH_PORT, parseCIDR, STANDBYS_PER_IP } from '@static-egress/crds';
import { AUDIT_FLAGS, parseAuditConfig, type AuditConfig } from './audit/config.js';
import type { Mode, OwnedRanges } from './desired/types.js';
import type { RenderConfig } from './render/types.js';

export interface AgentConfig {
  kubeconfig?: string;
  nodeName: string;
  mode: Mode;
  uplink?: string; // default: the interface holding the Node's InternalIP
  clusterCIDRs: string[];
  httpHost: string;
  httpPort: number;
  resyncIntervalMs: number;
  /** ipsets (and iptables-legacy) send no change events: hashed this often to heal damage (0: off) */
  damagePollMs: number;
  /** the self-fencing window: no contact for this long drops the egress addresses (issue 14); ≥ the lease */
  fenceAfterMs: number;
  /** how much later than the fastest recent probe a probe may arrive and still renew */
  leaseLateToleranceMs: number;
  /** The kernel ARP lease a vouching probe renews (≤ fenceAfterMs; the manager waits it out before moving an IP). */
  leaseMs: number;
  /** how long leases are stretched on SIGTERM without cleanup (match the manager's --agent-restart-grace) */
  restartLeaseMs: number;
  /** the key that authenticates the managers' probes (the mounted Secret) */
  probeKeyFile?: string;
  cleanup: boolean;
  cleanupOnExit: boolean;
  chainPrefix: string;
  ipsetPrefix: string;
  ranges: OwnedRanges;
  vxlanVNI: number;
  vxlanPort: number;
  /** standby nodes per egress IP: their SNAT programmed ahead, so a takeover is lease + address + GARP (agent/standby.ts; 0: none) */
  standbysPerIP: number;
  /** the egress audit log (docs/audit-log.md); off when absent */
  audit?: AuditConfig;
}

const FLAGS = {
  kubeconfig: { type: 'string' },
  'node-name': { type: 'string' },
  mode: { type: 'string' },
  uplink: { type: 'string' },
  'cluster-cidrs': { type: 'string' },
  'http-addr': { type: 'string' },
  'resync-interval': { type: 'string' },
  'damage-poll': { type: 'string' },
  cleanup: { type: 'boolean' },
  'cleanup-on-exit': { type: 'boolean' },
  'chain-prefix': { type: 'string' },
  'ipset-prefix': { type: 'string' },
  'rule-priority': { type: 'string' },
  'table-range': { type: 'string' },
  fwmark: { type: 'string' },
  'vxlan-vni': { type: 'string' },
  'vxlan-port': { type: 'string' },
  'fence-after': { type: 'string' },
  'lease-late-tolerance': { type: 'string' },
  lease: { type: 'string' },
  'restart-lease': { type: 'string' },
  'probe-key-file': { type: 'string' },
  'standbys-per-ip': { type: 'string' },
  ...AUDIT_FLAGS,
} as const;

function range(flag: string, text: string, min: number, max: number): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(text);
  const a = Number(m?.[1]), b = Number(m?.[2]);
  if (!m || a < min || b > max || a > b) throw new FlagError(`--${flag}: expected FROM-TO within ${min}-${max}, got "${text}"`);
  return [a, b];
}

export function parseAgentConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const v = parseFlags(argv, FLAGS);
  const nodeName = v['node-name'] ?? env['NODE_NAME'];
  const cleanup = v.cleanup ?? false;
  if (!nodeName && !cleanup) throw new FlagError('--node-name: required (or set NODE_NAME)');
  const mode = v.mode ?? 'direct';
  if (mode !== 'direct' && mode !== 'vxlan') throw new FlagError(`--mode: expected direct or vxlan, got "${mode}"`);
  const clusterCIDRs = (v['cluster-cidrs'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of clusterCIDRs) {
    const r = parseCIDR(c); // either family: a dual-stack cluster lists its IPv6 pod and service CIDRs too (issue 11)
    if (typeof r === 'string') throw new FlagError(`--cluster-cidrs: "${c}" is not an IPv4 or IPv6 CIDR${r === 'host-bits' ? ' (host bits set)' : ''}`);
  }
  // every family (the manager probes an IPv6-only node over IPv6; issue 11)
  const http = addrFlag(v, 'http-addr', `[::]:${AGENT_HEALTH_PORT}`);
  const fw = v.fwmark ?? '0x00ff0000';
  const markMask = Number(fw);
  if (!/^0x[0-9a-fA-F]{1,8}$/.test(fw) || markMask === 0 || !/^0*1*0*$/.test((markMask >>> 0).toString(2).padStart(32, '0'))) {
    throw new FlagError(`--fwmark: expected a contiguous non-empty hex bit mask like 0x00ff0000, got "${fw}"`);
  }
  const [tableMin, tableMax] = range('table-range', v['table-range'] ?? '5000-5999', 256, 0xfffffffe);
  const [priorityMin, priorityMax] = range('rule-priority', v['rule-priority'] ?? '5000-5999', 1, 32765);
  const prefix = (flag: string, text: string, re: RegExp, maxLen: number) => {
    if (!re.test(text) || text.length > maxLen) throw new FlagError(`--${flag}: "${text}" is not a valid prefix (${re}, at most ${maxLen} characters)`);
    return text;
  };
  const cfg: AgentConfig = {
    nodeName: nodeName ?? '',
    mode,
    clusterCIDRs,
    httpHost: http.host,
    httpPort: http.port,
    resyncIntervalMs: durationFlag(v, 'resync-interval', '10s'),
    damagePollMs: durationFlag(v, 'damage-poll', '500ms'),
    // issue 16 §2: the window outlasts a starved agent's stalls (the ARP lease stays short: it bounds the failover)
    fenceAfterMs: durationFlag(v, 'fence-after', '1s'),
    leaseLateToleranceMs: durationFlag(v, 'lease-late-tolerance', '50ms'),
    // 80ms fails over in ≈ 260 ms instead of ≈ 430 ms; kept at the issue-14 budget until the fence has its own (BENCHMARKS: soak)
    leaseMs: durationFlag(v, 'lease', '250ms'),
    restartLeaseMs: durationFlag(v, 'restart-lease', '10s'),
    cleanup,
    cleanupOnExit: v['cleanup-on-exit'] ?? false,
    // chain names get "-M-XXXXXXXX" appended (iptables allows 28 characters)
    chainPrefix: prefix('chain-prefix', v['chain-prefix'] ?? 'SEGRESS', /^[A-Z][A-Z0-9_]*$/, 16),
    // set names get "-d-xxxxxxxx-t" appended (ipset allows 31 characters)
    ipsetPrefix: prefix('ipset-prefix', v['ipset-prefix'] ?? 'segress', /^[a-z][a-z0-9_]*$/, 18),
    ranges: { markMask: markMask >>> 0, tableMin, tableMax, priorityMin, priorityMax },
    vxlanVNI: intFlag(v, 'vxlan-vni', 7447, 1, 16777215),
    vxlanPort: intFlag(v, 'vxlan-port', 4799, 1, 65535),
    standbysPerIP: intFlag(v, 'standbys-per-ip', STANDBYS_PER_IP, 0, 64),
  };
  if (v.kubeconfig !== undefined) cfg.kubeconfig = v.kubeconfig;
  if (v.uplink !== undefined) cfg.uplink = v.uplink;
  if (v['probe-key-file'] !== undefined) cfg.probeKeyFile = v['probe-key-file'];
  const audit = parseAuditConfig(v);
  if (audit) cfg.audit = audit;
  if (!cfg.probeKeyFile && !cleanup) {
    throw new FlagError('--probe-key-file: required: the key the managers sign their probes with (the mounted Secret static-egress-probe-key); without it no probe keeps this node\'s lease');
  }
  if (cfg.resyncIntervalMs <= 0 || cfg.fenceAfterMs <= 0) throw new FlagError('--resync-interval, --fence-after: must be positive');
  if (cfg.leaseMs <= 0 || cfg.leaseMs > cfg.fenceAfterMs) throw new FlagError(`--lease: must be positive and at most --fence-after (${cfg.fenceAfterMs} ms)`);
  return cfg;
}

export const VXLAN_DEVICE = 'segress.vx';

export function renderConfigOf(cfg: AgentConfig, uplink: string): RenderConfig {
  return { chainPrefix: cfg.chainPrefix, ipsetPrefix: cfg.ipsetPrefix, uplink, vxlanDevice: VXLAN_DEVICE, vxlanVNI: cfg.vxlanVNI, vxlanPort: cfg.vxlanPort };
}
