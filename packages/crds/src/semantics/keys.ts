/** The key of a namespaced object, `namespace/name` — the same as client-node's informer keys. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export const policyKey = objectKey;
export const podKey = objectKey;

/** Splits a `namespace/name` key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
