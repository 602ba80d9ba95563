// Kubernetes objects that mirror the lab's kernel state (DESIGN §7). No kubelet, scheduler or
// controller-manager runs, so the lab plays their parts: Nodes with an InternalIP and Ready status,
// Pods bound to a node with status.podIP and phase Running, EndpointSlices for Services.
import { API_VERSION, GATEWAY_LABEL, POOL_PLURAL, SEIP_PLURAL, GROUP, VERSION, ipFamilyOf } from '@static-egress/crds';

export const paths = {
  nodes: '/api/v1/nodes',
  node: (name: string) => `/api/v1/nodes/${name}`,
  nodeStatus: (name: string) => `/api/v1/nodes/${name}/status`,
  pods: (ns: string) => `/api/v1/namespaces/${ns}/pods`,
  pod: (ns: string, name: string) => `/api/v1/namespaces/${ns}/pods/${name}`,
  podStatus: (ns: string, name: string) => `/api/v1/namespaces/${ns}/pods/${name}/status`,
  services: (ns: string) => `/api/v1/namespaces/${ns}/services`,
  service: (ns: string, name: string) => `/api/v1/namespaces/${ns}/services/${name}`,
  endpointSlices: (ns: string) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
  endpointSlice: (ns: string, name: string) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/${name}`,
  events: (ns: string) => `/api/v1/namespaces/${ns}/events`,
  seips: (ns: string) => `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${SEIP_PLURAL}`,
  seip: (ns: string, name: string) => `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${SEIP_PLURAL}/${name}`,
  allSeips: `/apis/${GROUP}/${VERSION}/${SEIP_PLURAL}`,
  pools: `/apis/${GROUP}/${VERSION}/${POOL_PLURAL}`,
  pool: (name: string) => `/apis/${GROUP}/${VERSION}/${POOL_PLURAL}/${name}`,
  lease: (ns: string, name: string) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${name}`,
};

export function nodeObject(name: string, ip: string, gateway: boolean): object {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux',
        ...(gateway ? { [GATEWAY_LABEL]: '' } : {}),
      },
    },
    spec: {},
  };
}

/** `ip`: the InternalIP, or one per family (dual stack: IPv4 first, as kubelet lists them). */
export function nodeStatus(name: string, ip: string | readonly string[], now = new Date()): object {
  const t = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const ips = typeof ip === 'string' ? [ip] : ip;
  return {
    status: {
      addresses: [...ips.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: name }],
      conditions: [{
        type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'lab node',
        lastHeartbeatTime: t, lastTransitionTime: t,
      }],
    },
  };
}

export interface PodSpecInput {
  namespace: string;
  name: string;
  nodeName: string;
  labels: Record<string, string>;
}

export function podObject(p: PodSpecInput): object {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
    spec: {
      nodeName: p.nodeName,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: 'lab/pause' }],
    },
  };
}

/** `podIP`: the pod's address, or one per family (status.podIP is the first, podIPs all of them). */
export function podStatus(podIP: string | readonly string[], hostIP: string, now = new Date()): object {
  const t = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const ips = typeof podIP === 'string' ? [podIP] : podIP;
  return {
    status: {
      phase: 'Running', podIP: ips[0], podIPs: ips.map((ip) => ({ ip })), hostIP, hostIPs: [{ ip: hostIP }], startTime: t,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
        { type: 'Initialized', status: 'True', lastTransitionTime: t },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
        { type: 'Ready', status: 'True', lastTransitionTime: t },
      ],
    },
  };
}

export function serviceObject(namespace: string, name: string, selector: Record<string, string>): object {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace },
    spec: { selector, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
  };
}

export interface EndpointInput { ip: string; nodeName: string; podName: string }

export function endpointSliceObject(namespace: string, service: string, endpoints: EndpointInput[]): object {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {
      name: `${service}-lab`, namespace,
      labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'static-egress-lab' },
    },
    // an IPv6-only lab's pods (one family per slice; the lab writes the primary one)
    addressType: endpoints.some((e) => ipFamilyOf(e.ip) === 6) ? 'IPv6' : 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip], nodeName: e.nodeName, conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace, name: e.podName },
    })),
  };
}

export interface PoolInput {
  name: string;
  cidrs: { cidr: string; reserved?: string[] }[];
  namespaceSelector?: object;
  nodeSelector?: object;
  maxIPsPerNode?: number;
}

export function poolObject(p: PoolInput): object {
  return {
    apiVersion: API_VERSION, kind: 'EgressIPPool',
    metadata: { name: p.name },
    spec: {
      cidrs: p.cidrs.map((c) => ({ cidr: c.cidr, ...(c.reserved ? { reserved: c.reserved } : {}) })),
      ...(p.namespaceSelector ? { namespaceSelector: p.namespaceSelector } : {}),
      ...(p.nodeSelector ? { nodeSelector: p.nodeSelector } : {}),
      ...(p.maxIPsPerNode ? { maxIPsPerNode: p.maxIPsPerNode } : {}),
    },
  };
}

export interface SeipInput {
  namespace: string;
  name: string;
  egressIPs: string[];
  podSelector?: object;
  serviceName?: string;
  destinationCIDRs?: string[];
  excludedCIDRs?: string[];
}

export function seipObject(s: SeipInput): object {
  return {
    apiVersion: API_VERSION, kind: 'StaticEgressIP',
    metadata: { name: s.name, namespace: s.namespace },
    spec: {
      egressIPs: s.egressIPs,
      ...(s.podSelector ? { podSelector: s.podSelector } : {}),
      ...(s.serviceName ? { serviceName: s.serviceName } : {}),
      ...(s.destinationCIDRs ? { destinationCIDRs: s.destinationCIDRs } : {}),
      ...(s.excludedCIDRs ? { excludedCIDRs: s.excludedCIDRs } : {}),
    },
  };
}
