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
