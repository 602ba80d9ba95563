// The agent's report of what it programmed (its StaticEgressNode's status), after each successful
// sync: the manager's Programmed condition and `kubectl egress trace` read it. Written only when it
// changes, so a steady node writes nothing.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import {
  API_VERSION, FIELD_MANAGER, GROUP, SENODE_KIND, SENODE_PLURAL, VERSION, type StaticEgressNodeStatus,
} from '@static-egress/crds';
import type { Logger } from '@static-egress/controller-kit';
import type { NodeState } from '../desired/types.js';

export type NodeReportStatus = Required<Pick<StaticEgressNodeStatus, 'gatewayIPs' | 'directed' | 'fenced' | 'stopped'>>;

/** Pure: what `state` programs. A director entry whose route is unreachable steers nothing out. */
export function computeNodeReport(state: Pick<NodeState, 'addresses' | 'director'>, fenced: boolean): NodeReportStatus {
  return {
    gatewayIPs: [...state.addresses],
    directed: state.director.filter((d) => d.route.kind !== 'unreachable').map((d) => ({ egressIP: d.egressIP, podIPs: [...d.podIPs] })),
    fenced,
    stopped: false,
  };
}

export class KubeNodeReporter {
  private readonly api: CustomObjectsApi;
  private lastWritten: string | undefined;
  private inFlight: Promise<void> | undefined;
  private pending: NodeReportStatus | undefined;
  private lastError: string | undefined;
  private latest: NodeReportStatus = { gatewayIPs: [], directed: [], fenced: false, stopped: false };

  constructor(kc: KubeConfig, private readonly nodeName: string, private readonly nodeUID: () => string | undefined, private readonly logger: Logger) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** Publishes `report` unless it is what was last written; one write at a time, the latest wins. */
  publish(report: NodeReportStatus): void {
    this.latest = report;
    if (JSON.stringify(report) === this.lastWritten) return;
    this.pending = report;
    this.inFlight ??= this.drain().finally(() => { this.inFlight = undefined; });
  }

  /**
   * On shutdown: the last report, marked stopped (`cleaned`: the data path was removed, so nothing is
   * programmed any more). Waits for the write, at most `timeoutMs`; a failure is only logged.
   */
  async stop(opts: { cleaned: boolean; timeoutMs: number }): Promise<void> {
    const last = opts.cleaned ? { gatewayIPs: [], directed: [], fenced: this.latest.fenced } : this.latest;
    this.publish({ ...last, stopped: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, opts.timeoutMs); });
    await Promise.race([this.inFlight ?? Promise.resolve(), timeout]);
    clearTimeout(timer);
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const report = this.pending;
      this.pending = undefined;
      try {
        await this.write(report);
        this.lastWritten = JSON.stringify(report);
        this.lastError = undefined;
      } catch (err) {
        // The next sync publishes again; the data path never waits on this. Said once per cause
        // (a missing CRD or permission would otherwise be logged on every sync).
        const e = err as { code?: number; message?: string };
        const text = `${e.code ?? ''} ${e.message?.split('\n')[0] ?? String(err)}`.trim();
        if (text !== this.lastError) this.logger.warn({ err: text }, 'could not publish the StaticEgressNode report');
        this.lastError = text;
      }
    }
  }

  private async write(report: NodeReportStatus): Promise<void> {
    const ref = { group: GROUP, version: VERSION, plural: SENODE_PLURAL, name: this.nodeName };
    try {
      await this.api.getClusterCustomObject(ref);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      const uid = this.nodeUID();
      // Owned by the Node, so the garbage collector removes it with the node.
      const ownerReferences = uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid }] : undefined;
      await this.api.createClusterCustomObject({ group: GROUP, version: VERSION, plural: SENODE_PLURAL,
        body: { apiVersion: API_VERSION, kind: SENODE_KIND, metadata: { name: this.nodeName, ...(ownerReferences ? { ownerReferences } : {}) } } });
    }
    const body = { status: { ...report, updateTime: new Date().toISOString() } };
    await this.api.patchClusterCustomObjectStatus({ ...ref, body, fieldManager: FIELD_MANAGER }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }
}
