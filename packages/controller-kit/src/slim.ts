// What the daemons keep of the core objects they cache (issue 16 §4): the fields parseClusterView,
// the manager's status and the audit log read, nothing else. A cluster-wide cache of Pods and Nodes
// is mostly managedFields, container specs, container statuses and node images; dropping them
// before the cache cuts the daemons' memory without changing what they compute. Pure: each returns
// a new object and never mutates its argument (client-node's cache is built from the result).
import type { KubernetesObject, V1Namespace, V1Node, V1ObjectMeta, V1Pod, V1Service } from '@kubernetes/client-node';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** metadata without managedFields and the last-applied annotation (both often larger than the rest). */
export function slimMetadata(m: V1ObjectMeta | undefined): V1ObjectMeta | undefined {
  if (!m) return m;
  const { managedFields: _mf, annotations, ...rest } = m;
  if (!annotations) return rest;
  const { [LAST_APPLIED]: _la, ...kept } = annotations;
  return Object.keys(kept).length ? { ...rest, annotations: kept } : rest;
}

/** A Pod as the daemons read it: metadata, spec.nodeName/hostNetwork, status.phase/podIP(s)/hostIP(s). */
export function slimPod(p: V1Pod): V1Pod {
  const spec = p.spec;
  const st = p.status;
  return {
    ...(p.apiVersion ? { apiVersion: p.apiVersion } : {}), ...(p.kind ? { kind: p.kind } : {}),
    ...(p.metadata ? { metadata: slimMetadata(p.metadata)! } : {}),
    ...(spec ? {
      spec: {
        containers: [],
        ...(spec.nodeName !== undefined ? { nodeName: spec.nodeName } : {}),
        ...(spec.hostNetwork !== undefined ? { hostNetwork: spec.hostNetwork } : {}),
      },
    } : {}),
    ...(st ? {
      status: {
        ...(st.phase !== undefined ? { phase: st.phase } : {}), ...(st.podIP !== undefined ? { podIP: st.podIP } : {}),
        ...(st.podIPs ? { podIPs: st.podIPs } : {}), ...(st.hostIP !== undefined ? { hostIP: st.hostIP } : {}),
        ...(st.hostIPs ? { hostIPs: st.hostIPs } : {}),
      },
    } : {}),
  };
}

/** A Node as the daemons read it: metadata, spec.unschedulable/providerID, status.addresses and the Ready condition (no heartbeat time). */
export function slimNode(n: V1Node): V1Node {
  const spec = n.spec;
  const st = n.status;
  // Ready without its heartbeat time: a kubelet's periodic status report is then no change
  const ready = st?.conditions?.filter((c) => c.type === 'Ready').map(({ lastHeartbeatTime: _hb, ...c }) => c);
  return {
    ...(n.apiVersion ? { apiVersion: n.apiVersion } : {}), ...(n.kind ? { kind: n.kind } : {}),
    ...(n.metadata ? { metadata: slimMetadata(n.metadata)! } : {}),
    ...(spec ? {
      spec: {
        ...(spec.unschedulable !== undefined ? { unschedulable: spec.unschedulable } : {}),
        ...(spec.providerID !== undefined ? { providerID: spec.providerID } : {}),
      },
    } : {}),
    ...(st ? { status: { ...(st.addresses ? { addresses: st.addresses } : {}), ...(ready ? { conditions: ready } : {}) } } : {}),
  };
}

/** A Service as the daemons read it: metadata and spec.selector. */
export function slimService(s: V1Service): V1Service {
  return {
    ...(s.apiVersion ? { apiVersion: s.apiVersion } : {}), ...(s.kind ? { kind: s.kind } : {}),
    ...(s.metadata ? { metadata: slimMetadata(s.metadata)! } : {}),
    ...(s.spec ? { spec: s.spec.selector ? { selector: s.spec.selector } : {} } : {}),
  };
}

/** A Namespace as the daemons read it: metadata (labels and annotations select and allocate). */
export function slimNamespace(n: V1Namespace): V1Namespace {
  return { ...n, ...(n.metadata ? { metadata: slimMetadata(n.metadata)! } : {}) };
}

/** Any object without managedFields and the last-applied annotation. */
export function slimObject<T extends KubernetesObject>(o: T): T {
  return o.metadata ? { ...o, metadata: slimMetadata(o.metadata)! } : o;
}

/**
 * A policy as an agent reads it: slim, and of its status only what agents act on (assignments,
 * nodes, observedGeneration). The conditions — a kilobyte of messages for a policy without a gateway —
 * are the manager's and the user's; 10,000 policies carry ≈ 13 MB of them (issue 16 §4).
 */
export function slimPolicyForAgent<T extends KubernetesObject & { status?: { conditions?: unknown } }>(o: T): T {
  const slim = slimObject(o);
  if (!slim.status?.conditions) return slim;
  const { conditions: _c, ...status } = slim.status;
  return { ...slim, status };
}

/**
 * True when two versions of an object read the same apart from `metadata.resourceVersion` — an
 * informer's `unchanged`: once `transform` has dropped what a reader ignores (a policy's conditions
 * for an agent, a Node's heartbeat times), such an update is no news to it.
 */
export function sameApartFromVersion(a: KubernetesObject, b: KubernetesObject): boolean {
  const text = (o: KubernetesObject) => JSON.stringify(o.metadata ? { ...o, metadata: { ...o.metadata, resourceVersion: undefined } } : o);
  return text(a) === text(b);
}
