// A small JSON client for the apiserver, built from a kubeconfig file (client certificate or bearer
// token). The lab needs raw paths (status subresources, CRDs, Events) and a keep-alive connection for
// tight polling; client-node's generated clients add nothing here.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

export class KubeError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what}: HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

interface KubeconfigFile {
  clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users: { user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
}

export type PatchType = 'merge' | 'strategic' | 'json';
const PATCH_CT: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export class KubeClient {
  private readonly agent: Agent;
  private readonly server: URL;
  private readonly token: string | undefined;

  constructor(kubeconfigPath: string) {
    const kc = parse(readFileSync(kubeconfigPath, 'utf8')) as KubeconfigFile;
    const cluster = kc.clusters[0]?.cluster;
    const user = kc.users[0]?.user;
    if (!cluster || !user) throw new Error(`kubeconfig without cluster or user: ${kubeconfigPath}`);
    const b64 = (s: string | undefined): Buffer | undefined => (s ? Buffer.from(s, 'base64') : undefined);
    this.server = new URL(cluster.server);
    this.token = user.token;
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 8,
      ca: b64(cluster['certificate-authority-data']),
      cert: b64(user['client-certificate-data']),
      key: b64(user['client-key-data']),
    });
  }

  close(): void { this.agent.destroy(); }

  /** One request; 429 (e.g. a new CRD's storage still initializing) is retried a few times. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json',
    timeoutMs = 10_000): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(method, path, body, contentType, timeoutMs);
      } catch (err) {
        if (!(err instanceof KubeError && err.status === 429) || attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private once<T>(method: string, path: string, body: unknown, contentType: string, timeoutMs: number): Promise<T> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request({
        host: this.server.hostname, port: this.server.port, path, method, agent: this.agent, timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...(data ? { 'content-type': contentType, 'content-length': Buffer.byteLength(data) } : {}),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { text += d; });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve((text ? JSON.parse(text) : undefined) as T);
          else reject(new KubeError(status, text, `${method} ${path}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  get<T = unknown>(path: string): Promise<T> { return this.request<T>('GET', path); }
  /** GET that resolves undefined on 404. */
  async find<T = unknown>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }
  create<T = unknown>(path: string, obj: unknown): Promise<T> { return this.request<T>('POST', path, obj); }
  patch<T = unknown>(path: string, patch: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.request<T>('PATCH', path, patch, PATCH_CT[type]);
  }
  /** Server-side apply (creates or updates), as field manager "static-egress-lab". */
  apply<T = unknown>(path: string, obj: unknown): Promise<T> {
    return this.request<T>('PATCH', `${path}?fieldManager=static-egress-lab&force=true`, obj, 'application/apply-patch+yaml');
  }
  async delete(path: string): Promise<void> {
    try {
      await this.request('DELETE', path);
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
    }
  }
}
