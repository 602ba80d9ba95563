// The cluster the kernel suites program, as computeNodeState inputs (no apiserver at this layer).
import { pinEgressIP } from '@static-egress/crds';
import { computeNodeState, slotsOf } from '../../src/desired/compute.js';
import type { Mode, NodeState, PodView, PolicyView } from '../../src/desired/types.js';
import { nodeIP } from './topology.js';

export const RANGES = { markMask: 0x00ff0000, tableMin: 5000, tableMax: 5999, priorityMin: 5000, priorityMax: 5999 };

export interface ClusterModel {
  policies: PolicyView[];
  /** policy: the one policy selecting the pod; policies: several (per-destination selection) */
  pods: (PodView & { policy?: string; policies?: string[] })[];
  /** standby (issue 16 §1): node name → the egress IPs it stands by for */
  standby?: ReadonlyMap<string, readonly string[]>;
}

export class StateBuilder {
  private previous = new Map<number, Map<string, number>>();
  constructor(readonly mode: Mode, readonly nodes: number) {}

  stateFor(node: number, model: ClusterModel): NodeState {
    const selection = new Map(model.pods.map((p) => [p.key, p.policies ?? (p.policy ? [p.policy] : [])]));
    const state = computeNodeState({
      nodeName: `n${node}`, nodeIP: nodeIP(node), mode: this.mode, policies: model.policies,
      authorizedIPs: new Map(model.policies.map((p) => [p.key, p.egressIPs])),
      selection, pods: model.pods,
      nodes: new Map(Array.from({ length: this.nodes }, (_, i) => [`n${i + 1}`, nodeIP(i + 1)])),
      clusterCIDRs: ['203.0.113.0/24'], ranges: RANGES, pin: pinEgressIP, previousSlots: this.previous.get(node),
      ...(model.standby ? { standbyFor: (ip: string) => !!model.standby!.get(`n${node}`)?.includes(ip) } : {}),
    });
    this.previous.set(node, slotsOf(state));
    return state;
  }
}
