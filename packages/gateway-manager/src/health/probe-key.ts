// The key that signs the manager's probes (issue 14 §3): a Secret in the manager's namespace that
// the agents mount. The first manager to start creates it with a random key if it does not exist, so
// an install needs no extra step; a Secret created beforehand (e.g. from a secret manager) is used as is.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { generateProbeKeyText, probeKeyFromText, type ProbeKey } from '@static-egress/controller-kit';

export const PROBE_KEY_FIELD = 'key';

/** What ensureProbeKey needs of the API (CoreV1Api's secret calls, narrowed). */
export interface SecretStore {
  read(name: string): Promise<Record<string, string> | undefined>; // undefined: not found
  create(name: string, data: Record<string, string>): Promise<'created' | 'exists'>;
}

export async function ensureProbeKey(store: SecretStore, name: string): Promise<{ key: ProbeKey; created: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const data = await store.read(name);
    if (data) {
      const text = data[PROBE_KEY_FIELD];
      if (text === undefined) throw new Error(`Secret ${name} has no "${PROBE_KEY_FIELD}" field: recreate it, or delete it and let the manager create one`);
      return { key: probeKeyFromText(Buffer.from(text, 'base64').toString('utf8'), `Secret ${name}`), created: false };
    }
    const text = generateProbeKeyText();
    if ((await store.create(name, { [PROBE_KEY_FIELD]: Buffer.from(text).toString('base64') })) === 'created') {
      return { key: probeKeyFromText(text), created: true };
    }
    // another replica created it first: read theirs
  }
  throw new Error(`could not read or create Secret ${name}`);
}

/** The Secret store of one namespace, through the API server. */
export function kubeSecretStore(kc: KubeConfig, namespace: string): SecretStore {
  const core = kc.makeApiClient(CoreV1Api);
  const code = (err: unknown) => (err as { code?: number }).code;
  return {
    async read(name) {
      try {
        return (await core.readNamespacedSecret({ name, namespace })).data ?? {};
      } catch (err) {
        if (code(err) === 404) return undefined;
        throw err;
      }
    },
    async create(name, data) {
      try {
        await core.createNamespacedSecret({ namespace, body: { metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'static-egress' } }, type: 'Opaque', data } });
        return 'created';
      } catch (err) {
        if (code(err) === 409) return 'exists';
        throw err;
      }
    },
  };
}
