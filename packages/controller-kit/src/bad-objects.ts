// One way for both daemons to report objects parseClusterView skipped: a warning when an object
// turns bad or its problem changes, not on every pass (a pass runs on every pod change).
import type { BadObject } from '@static-egress/crds';
import type { Logger } from './logger.js';

export class BadObjectReporter {
  /** kind/key → the message last reported. */
  private reported = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  report(bad: readonly BadObject[]): void {
    const next = new Map<string, string>();
    for (const b of bad) {
      const id = `${b.kind}/${b.key}`;
      next.set(id, b.message);
      if (this.reported.get(id) !== b.message) this.logger.warn({ kind: b.kind, object: b.key, err: b.message }, `ignoring invalid ${b.kind}`);
    }
    this.reported = next;
  }
}
