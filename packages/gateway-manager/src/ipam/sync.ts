// Runs namespace opt-in IPAM inside the leader's pass: computeNamespaceAllocations on the view, then
// its writes. Remembers which problem it last reported per namespace, so a bad annotation gets one
// Warning, not one per pass (a new leader reports it once more).
import type { V1Namespace } from '@kubernetes/client-node';
import type { ClusterView } from '@static-egress/crds';
import { silentLogger, type Logger } from '@static-egress/controller-kit';
import type { NamespaceIPAMWriter } from './kube-namespaces.js';
import { computeNamespaceAllocations, namespaceInfoOf } from './namespaces.js';

export class NamespaceIPAMSync {
  private reported: ReadonlyMap<string, string> = new Map();

  constructor(private readonly writer: NamespaceIPAMWriter, private readonly logger: Logger = silentLogger) {}

  async sync(view: Pick<ClusterView, 'pools' | 'policies' | 'policyObjects' | 'nodeAddresses'>, namespaces: readonly V1Namespace[]): Promise<void> {
    const result = computeNamespaceAllocations({
      namespaces: namespaces.map(namespaceInfoOf),
      pools: view.pools,
      policyObjects: view.policyObjects,
      // policies of other kinds (cluster-scoped) have no StaticEgressIP object
      otherClaims: view.policies.filter((p) => !view.policyObjects.has(p.key)).flatMap((p) => p.egressIPs),
      nodeAddresses: view.nodeAddresses,
      reported: this.reported,
    });
    for (const a of result.actions) {
      this.logger.info({ namespace: a.namespace, action: a.kind, ...(a.kind === 'apply' ? { pool: a.pool, ips: a.ips } : {}) }, 'namespace egress IPs');
      if (a.kind === 'apply') await this.writer.applyAllocation(a.namespace, a.pool, a.ips);
      else await this.writer.release(a.namespace, a.deletePolicy);
    }
    this.reported = result.reported;
    for (const e of result.events) {
      try {
        await this.writer.recordEvent(e);
      } catch (err) {
        this.logger.warn({ namespace: e.namespace, reason: e.reason, err }, 'could not record Event');
      }
    }
  }
}
