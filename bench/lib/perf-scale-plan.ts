// The perf-scale profile's plan (issue 16 §4; bench/lab/perf-scale.ts): sizes, names and addresses,
// pure. 2,400 steady egress IPs and the churn's from one IPv6 pool on the lab's LAN /64.
import { cidrContainsIP, mustParseCIDR } from '@static-egress/crds';
import type { KubeClient } from '../../e2e/src/lab/kube.js';
import type { Lab, LabPod } from '../../e2e/src/lab/lab.js';
import type { Background } from './lab-helpers.js';

export const NODES = 24;
export const MANAGERS = 2;
export const PODS_PER_NODE = 10;
/** 4,096 addresses on the LAN's /64, away from the nodes (::11…), the suites' pool (::100/120) and the hand path (::250). */
export const PERF_POOL_CIDR6 = '2001:db8:0:2::1000/116';
export const APP = { app: 'perf' };

export interface ChurnSizes { churnMinutes: number; perMinute: number; lifetimeMs: number; quietMs: number; steadyProbes: number }
export interface PerfSizes extends ChurnSizes { policies: number; failoverTrials: number; sample: number; handMoves: number }

export interface PerfEnv { lab: Lab; kube: KubeClient; pods: LabPod[]; auditLog: string; s: PerfSizes; bg: Background }

export function perfSizes(quick: boolean): PerfSizes {
  return quick
    ? { policies: 2_400, failoverTrials: 1, sample: 10, handMoves: 5, churnMinutes: 2, perMinute: 100, lifetimeMs: 30_000, quietMs: 30_000, steadyProbes: 8 }
    : { policies: 2_400, failoverTrials: 3, sample: 12, handMoves: 10, churnMinutes: 10, perMinute: 100, lifetimeMs: 30_000, quietMs: 60_000, steadyProbes: 8 };
}

export const perfNs = (k: number): string => `perf-${k}`;

const POOL = mustParseCIDR(PERF_POOL_CIDR6);
/** The k-th address of the pool (k < 4,096): steady policies take 0…2,399, the churn 2,400 on. */
export function perfIP(k: number): string {
  if (!(Number.isInteger(k) && k >= 0 && k < 4096)) throw new Error(`perf-scale egress IP index outside the pool ${PERF_POOL_CIDR6}: ${k}`);
  const ip = `2001:db8:0:2::${(0x1000 + k).toString(16)}`;
  if (!cidrContainsIP(POOL, ip)) throw new Error(`${ip} outside ${PERF_POOL_CIDR6}`);
  return ip;
}

/**
 * The c-th churn policy: its namespace (one of those without a pod, so it selects nothing and only
 * moves addresses) and its IP (cycling through 1,200 addresses after the steady ones: an address
 * comes back 12 minutes later at 100 a minute, long after its policy was deleted).
 */
export function churnPolicy(c: number, policies: number, podNamespaces: number): { namespace: string; name: string; ip: string } {
  const free = policies - podNamespaces;
  return { namespace: perfNs(podNamespaces + (c % free)), name: `churn-${c}`, ip: perfIP(policies + (c % 1_200)) };
}

export interface PerfTiming { name: 'shared' | 'defaults'; managerArgs: string[]; agentArgs: string[] }

/**
 * The daemons' timing (`SE_PERF_TIMING`). Here 24 agents and 2 managers share 2 cores, where a real
 * cluster gives each agent its own node's CPU. `defaults` runs the shipped ones (manager Lease
 * 3 s / 2 s / 500 ms, a probe every 20 ms with a 50 ms timeout; agent fence after 1 s, kernel lease
 * 250 ms): the quick run of 2026-11-30 11:40 collapsed with them (BENCHMARKS "The perf-scale
 * profile"). `shared` (the default here) relaxes what a starved process misses: leader election as
 * Kubernetes' own controllers (15 s / 10 s / 2 s), a probe every 100 ms with a 300 ms timeout, fence
 * after 5 s, kernel lease 500 ms (below the ≈ 700 ms detection, so it adds nothing to a failover).
 */
export function perfTiming(value: string | undefined): PerfTiming {
  const name = value ?? 'shared';
  if (name === 'defaults') return { name, managerArgs: [], agentArgs: [] };
  if (name === 'shared') {
    return {
      name,
      managerArgs: ['--lease-duration', '15s', '--renew-deadline', '10s', '--retry-period', '2s', '--probe-interval', '100ms', '--probe-timeout', '300ms'],
      agentArgs: ['--fence-after', '5s', '--lease', '500ms'],
    };
  }
  throw new Error(`SE_PERF_TIMING: want 'shared' (default) or 'defaults', got ${JSON.stringify(value)}`);
}
