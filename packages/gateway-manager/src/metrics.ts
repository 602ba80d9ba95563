import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { metricPrefix } from '@static-egress/controller-kit';

/** The manager's own metrics; the registry comes from controller-kit's createRegistry. */
export interface ManagerMetrics {
  assignedIPs: Gauge;
  unassignedIPs: Gauge;
  failovers: Counter;
  probeFailures: Counter<'node'>;
  syncDuration: Histogram<'result'>;
  /** From the first change a pass handles (watch event, probe verdict, release seen) to its status writes done. */
  assignmentLatency: Histogram;
  isLeader: Gauge;
  /** Cloud mode: every cloud API call by action and result (EC2 calls per move in the benchmark). */
  cloudCalls: Counter<'action' | 'result'>;
  poolCapacity: Gauge<'pool'>;
  poolAllocated: Gauge<'pool'>;
  poolHeld: Gauge<'pool'>;
  nodeHeld: Gauge<'node'>;
  nodeCapacity: Gauge<'node'>;
  nodeUnreachable: Counter<'node'>;
}

/**
 * The gauges only the leader knows. A replica that loses the lease clears them, so a scrape of a
 * standby never shows a stale picture (sum by pool over replicas stays right).
 */
export function clearLeaderGauges(m: ManagerMetrics): void {
  for (const g of [m.assignedIPs, m.unassignedIPs, m.poolCapacity, m.poolAllocated, m.poolHeld, m.nodeHeld, m.nodeCapacity]) g.reset();
}

export function createManagerMetrics(registry: Registry): ManagerMetrics {
  const p = `${metricPrefix(registry)}manager_`;
  const registers = [registry];
  return {
    assignedIPs: new Gauge({ name: `${p}assigned_ips`, help: 'Authorized egress IPs held by a gateway node', registers }),
    unassignedIPs: new Gauge({ name: `${p}unassigned_ips`, help: 'Authorized egress IPs without a gateway node (draining or none available)', registers }),
    failovers: new Counter({ name: `${p}failovers_total`, help: 'Egress IPs moved off a dead or unhealthy gateway node', registers }),
    probeFailures: new Counter({ name: `${p}probe_failures_total`, help: 'Failed agent /healthz probes', labelNames: ['node'], registers }),
    syncDuration: new Histogram({
      name: `${p}sync_duration_seconds`,
      help: 'Time of one assignment sync (read caches, assign, write status and Events)',
      labelNames: ['result'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    assignmentLatency: new Histogram({
      name: `${p}assignment_latency_seconds`,
      help: 'From the first change a pass handles (API event, probe verdict, release observed) to its status written (passes that wrote status)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    isLeader: new Gauge({ name: `${p}is_leader`, help: '1 while this manager holds the leader Lease', registers }),
    poolCapacity: new Gauge({ name: `${p}pool_capacity_ips`, help: 'Usable addresses of each EgressIPPool (leader only)', labelNames: ['pool'], registers }),
    poolAllocated: new Gauge({ name: `${p}pool_allocated_ips`, help: 'Addresses of each pool claimed by an authorized StaticEgressIP (leader only)', labelNames: ['pool'], registers }),
    poolHeld: new Gauge({ name: `${p}pool_held_ips`, help: 'Addresses of each pool held by a gateway node (leader only)', labelNames: ['pool'], registers }),
    nodeHeld: new Gauge({ name: `${p}node_held_ips`, help: 'Egress IPs each gateway node holds (leader only)', labelNames: ['node'], registers }),
    nodeCapacity: new Gauge({ name: `${p}node_capacity_ips`, help: 'Egress IPs each gateway node may hold (leader only)', labelNames: ['node'], registers }),
    nodeUnreachable: new Counter({ name: `${p}node_unreachable_total`, help: 'Times a gateway node was declared unhealthy (probes failed and its lease ran out)', labelNames: ['node'], registers }),
    cloudCalls: new Counter({ name: `${p}cloud_api_calls_total`, help: 'Cloud API calls (cloud mode)', labelNames: ['action', 'result'], registers }),
  };
}
