// The statuses this leader has queued or written that its informer cache does not show yet
// (issue 16 §4; the scheduler's "assumed" objects). While thousands of status writes drain, the
// watch lags behind them; a pass that compared against the cache alone would queue the same status
// again (with a new lastTransitionTime) and derive its Events again. A pass compares against
// this overlay first. An entry ends when the cached object has moved past the one the status was
// computed from and the write is done (the cache then holds it, or something newer), when the
// object is gone or replaced, or when its write failed (the next pass starts from the cache).
import type { ClusterView, StaticEgressIPStatus } from '@static-egress/crds';

interface Expected {
  uid: string;
  status: StaticEgressIPStatus;
  /** The cached object's resourceVersion the status was computed from. */
  baseVersion: string | undefined;
  written: boolean;
}

export class StatusOverlay {
  private readonly byKey = new Map<string, Expected>();

  /** A status for policy `key` was queued, computed from the cached object at `baseVersion`. */
  expect(key: string, uid: string, status: StaticEgressIPStatus, baseVersion: string | undefined): void {
    this.byKey.set(key, { uid, status, baseVersion, written: false });
  }

  /** `status` (the object queued) was written; a newer one queued meanwhile stays unwritten. */
  written(key: string, status: StaticEgressIPStatus): void {
    const e = this.byKey.get(key);
    if (e?.status === status) e.written = true;
  }

  /** Its write failed: forget it, so the next pass computes from what the apiserver has. */
  failed(key: string, status: StaticEgressIPStatus): void {
    if (this.byKey.get(key)?.status === status) this.byKey.delete(key);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Pure apart from pruning ended entries: `view` with this leader's pending statuses in place of the cached ones. */
  apply(view: ClusterView): ClusterView {
    if (this.byKey.size === 0) return view;
    const objects = new Map(view.policyObjects);
    for (const [key, e] of this.byKey) {
      const obj = objects.get(key);
      const version = obj?.metadata?.resourceVersion;
      if (!obj || obj.metadata?.uid !== e.uid || (e.written && version !== e.baseVersion)) {
        this.byKey.delete(key);
        continue;
      }
      objects.set(key, { ...obj, status: e.status } as typeof obj);
    }
    return { ...view, policyObjects: objects };
  }
}
