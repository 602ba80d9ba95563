// The fresh read behind un-fencing (DESIGN §5): after a partition a gateway's watches may still be
// silent, so its cache can still assign it egress IPs that have moved. Before taking addresses back
// it lists the policies from the API server (a quorum read) and holds only what that confirms.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { CSEIP_PLURAL, GROUP, SEIP_PLURAL, VERSION, type StaticEgressIP } from '@static-egress/crds';

/** Pure: the egress IPs that the policies' status assigns to `node` (and that their spec still lists). */
export function egressIPsAssignedTo(node: string, policies: readonly Pick<StaticEgressIP, 'spec' | 'status'>[]): Set<string> {
  const out = new Set<string>();
  for (const p of policies) {
    const listed = new Set(p.spec?.egressIPs ?? []);
    for (const a of p.status?.assignments ?? []) if (a.node === node && listed.has(a.egressIP)) out.add(a.egressIP);
  }
  return out;
}

/** One list of every StaticEgressIP and ClusterStaticEgressIP (same spec and status shape), straight from the API server. */
export function apiConfirmHeld(kc: KubeConfig, node: string): () => Promise<ReadonlySet<string>> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const list = async (plural: string): Promise<StaticEgressIP[]> =>
    ((await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as { items?: StaticEgressIP[] }).items ?? [];
  return async () => {
    const [namespaced, cluster] = await Promise.all([list(SEIP_PLURAL), list(CSEIP_PLURAL)]);
    return egressIPsAssignedTo(node, [...namespaced, ...cluster]);
  };
}
