/**
 * The key of an object: `namespace/name`, or `name` for a cluster-scoped one — the same as the
 * informers' cache keys, so a key from either finds the object in the other.
 */
export function objectKey(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export const policyKey = objectKey;
export const podKey = objectKey;

/** objectKey of an API object. */
export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return objectKey(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
}

/** Splits an objectKey back into namespace ('' for a cluster-scoped object) and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
