// ClusterStaticEgressIP → Policy (issue 9). Its spec is a StaticEgressIP's without serviceName, plus a
// required namespaceSelector, so the shared fields go through parsePolicy itself: one parser, and a
// change to the policy spec (families, destinations) reaches both kinds at once.
import { CSEIP_KIND } from '../constants.js';
import type { ClusterStaticEgressIP, StaticEgressIP } from '../generated/types.js';
import { ParseError } from './errors.js';
import { parsePolicy, parseSelector } from './parse.js';
import type { Policy } from './types.js';

/** Stands in for the namespace while parsePolicy checks the shared fields; never leaves this file. */
const PLACEHOLDER_NAMESPACE = 'cluster-scope';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and validates a ClusterStaticEgressIP; throws ParseError naming the field. */
export function parseClusterPolicy(obj: ClusterStaticEgressIP): Policy {
  const o = obj as unknown as Record<string, unknown>;
  const meta = isObject(o?.metadata) ? o.metadata : {};
  const name = meta.name;
  if (typeof name !== 'string' || name === '') throw new ParseError('metadata.name', 'required');
  const object = `${CSEIP_KIND} ${name}`;
  const fail = (field: string, detail: string): never => {
    throw new ParseError(field, detail, object);
  };
  if (!isObject(o.spec)) fail('spec', 'required');
  const { namespaceSelector, serviceName, ...shared } = o.spec as Record<string, unknown>;
  if (serviceName !== undefined) {
    fail('spec.serviceName', 'is not allowed here: a Service is namespaced; select its pods with namespaceSelector and podSelector');
  }
  if (namespaceSelector === undefined) fail('spec.namespaceSelector', 'required ({} selects every namespace)');
  const nsSelector = parseSelector(namespaceSelector, 'spec.namespaceSelector', fail);

  let policy: Policy;
  try {
    const asNamespaced = { ...o, metadata: { ...meta, namespace: PLACEHOLDER_NAMESPACE }, spec: shared } as unknown as StaticEgressIP;
    policy = parsePolicy(asNamespaced);
  } catch (err) {
    if (err instanceof ParseError) throw new ParseError(err.field, err.detail, object);
    throw err;
  }
  return { ...policy, key: name, namespace: '', scope: 'Cluster', namespaceSelector: nsSelector };
}

/** Whether a policy is a ClusterStaticEgressIP. */
export function isClusterPolicy(p: Pick<Policy, 'scope'>): boolean {
  return p.scope === 'Cluster';
}

/** How a message names a policy: `StaticEgressIP ns/name` or `ClusterStaticEgressIP name`. */
export function describePolicy(p: Pick<Policy, 'scope' | 'key'>): string {
  return `${isClusterPolicy(p) ? CSEIP_KIND : 'StaticEgressIP'} ${p.key}`;
}
