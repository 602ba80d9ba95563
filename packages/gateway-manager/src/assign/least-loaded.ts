// The nodes of one pool, least loaded first: a binary min-heap on (load, index).

export interface LoadedNode {
  /** Position in name order: the tie-break between equal loads. */
  readonly index: number;
  readonly load: number;
}

interface Entry<N> {
  node: N;
  /** The node's load when it was queued; loads only grow, so an entry can only be too low. */
  load: number;
}

/**
 * Queued nodes come out by (load, index). A node whose load grew while queued (an IP of another
 * pool placed on it) is requeued at its current load when it reaches the top, so the node popped is
 * always the least loaded of those queued as of now.
 */
export class LeastLoaded<N extends LoadedNode> {
  private readonly heap: Entry<N>[] = [];

  constructor(nodes: Iterable<N>) {
    for (const n of nodes) this.push(n);
  }

  push(node: N): void {
    const h = this.heap;
    const e = { node, load: node.load };
    let i = h.push(e) - 1;
    for (let up = (i - 1) >> 1; i > 0 && before(e, h[up]!); i = up, up = (i - 1) >> 1) h[i] = h[up]!;
    h[i] = e;
  }

  /** Removes and returns the least-loaded node; undefined when none is queued. */
  pop(): N | undefined {
    for (let top = this.popEntry(); top; top = this.popEntry()) {
      if (top.load === top.node.load) return top.node;
      this.push(top.node);
    }
    return undefined;
  }

  private popEntry(): Entry<N> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (let c = 1; c < h.length; i = c, c = 2 * i + 1) {
      if (c + 1 < h.length && before(h[c + 1]!, h[c]!)) c++;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
    }
    h[i] = last;
    return top;
  }
}

function before<N extends LoadedNode>(a: Entry<N>, b: Entry<N>): boolean {
  return a.load !== b.load ? a.load < b.load : a.node.index < b.node.index;
}
