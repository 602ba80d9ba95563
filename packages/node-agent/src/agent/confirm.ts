// The fresh read behind un-fencing (DESIGN §5): after a partition a gateway's watches may still be
// silent, so its cache can still assign it egress IPs that have moved. Before taking addresses back
// it reads from the API server (a quorum read) the policies its cache says assign it an IP, and holds
// only what those confirm. An IP the API assigns here but the cache does not know is not claimed
// either way (self-fencing holds the intersection), so reading only the cache's policies confirms the
// same set — and costs one GET per policy held here, not a list of the whole cluster's (issue 16 §4:
// 24 fenced agents listing 2,400 policies every few seconds starved the perf-scale lab's apiserver).
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { CSEIP_PLURAL, GROUP, SEIP_PLURAL, VERSION, type StaticEgressIP } from '@static-egress/crds';

type Policy = Pick<StaticEgressIP, 'spec' | 'status'> & { metadata?: { name?: string; namespace?: string } };

/** A policy by name: namespaced (StaticEgressIP) or not (ClusterStaticEgressIP). */
export interface PolicyRef { namespace?: string; name: string }

/** Pure: the egress IPs that the policies' status assigns to `node` (and that their spec still lists). */
export function egressIPsAssignedTo(node: string, policies: readonly Pick<StaticEgressIP, 'spec' | 'status'>[]): Set<string> {
  const out = new Set<string>();
  for (const p of policies) {
    const listed = new Set(p.spec?.egressIPs ?? []);
    for (const a of p.status?.assignments ?? []) if (a.node === node && listed.has(a.egressIP)) out.add(a.egressIP);
  }
  return out;
}

/** Pure: the policies whose status assigns `node` any egress IP (what a confirmation must read). */
export function policiesAssignedTo(node: string, policies: readonly Policy[]): PolicyRef[] {
  const out: PolicyRef[] = [];
  for (const p of policies) {
    const name = p.metadata?.name;
    if (!name || !(p.status?.assignments ?? []).some((a) => a.node === node)) continue;
    out.push(p.metadata?.namespace ? { namespace: p.metadata.namespace, name } : { name });
  }
  return out;
}

/**
 * Reads `refs` through `get` (undefined: gone), at most `width` at a time, and resolves the egress
 * IPs they assign to `node`. Any other failure rejects: the confirmation failed.
 */
export async function confirmHeldFrom(node: string, refs: readonly PolicyRef[], get: (ref: PolicyRef) => Promise<Policy | undefined>,
  width = 8): Promise<Set<string>> {
  const read: Policy[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, refs.length) }, async () => {
    while (next < refs.length) {
      const p = await get(refs[next++]!);
      if (p) read.push(p);
    }
  }));
  return egressIPsAssignedTo(node, read);
}

/** The confirmation from the API server: a GET of each policy `assignedInCache()` names. */
export function apiConfirmHeld(kc: KubeConfig, node: string, assignedInCache: () => readonly PolicyRef[]): () => Promise<ReadonlySet<string>> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const get = async (ref: PolicyRef): Promise<Policy | undefined> => {
    try {
      return (ref.namespace
        ? await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: SEIP_PLURAL, namespace: ref.namespace, name: ref.name })
        : await api.getClusterCustomObject({ group: GROUP, version: VERSION, plural: CSEIP_PLURAL, name: ref.name })) as Policy;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };
  return () => confirmHeldFrom(node, assignedInCache(), get);
}
