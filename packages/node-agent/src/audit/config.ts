// The audit log's flags (docs/audit-log.md): --audit-log stdout|/absolute/file (off when absent),
// --audit-log-rate lines a second. Pure.
import { FlagError, intFlag } from '@static-egress/controller-kit';

export interface AuditConfig {
  /** 'stdout', or an absolute file path appended to */
  target: string;
  ratePerSec: number;
}

export const AUDIT_FLAGS = {
  'audit-log': { type: 'string' },
  'audit-log-rate': { type: 'string' },
} as const;

export function parseAuditConfig(values: Record<string, unknown>): AuditConfig | undefined {
  const target = values['audit-log'];
  const ratePerSec = intFlag(values, 'audit-log-rate', 100, 1, 1_000_000);
  if (target === undefined) {
    if (values['audit-log-rate'] !== undefined) throw new FlagError('--audit-log-rate: only with --audit-log (the audit log is off)');
    return undefined;
  }
  if (typeof target !== 'string' || (target !== 'stdout' && !/^\/[^\0]*[^/]$/.test(target))) {
    throw new FlagError(`--audit-log: expected stdout or an absolute file path, got "${String(target)}"`);
  }
  return { target, ratePerSec };
}
