// egressctl: a small read-only view of policies for operators.
//   egressctl [--kubeconfig PATH] status              policies, egress IPs, holder nodes, Ready
//   egressctl [--kubeconfig PATH] explain NS/NAME     conditions of one policy
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, SEIP_PLURAL, VERSION, splitKey, type StaticEgressIP } from '@static-egress/crds';
import { loadKubeConfig } from '@static-egress/controller-kit';

const USAGE = 'usage: egressctl [--kubeconfig PATH] status | explain NAMESPACE/NAME';

/** Pure: the `status` table. */
export function renderStatusTable(policies: readonly StaticEgressIP[]): string {
  const rows = [['NAMESPACE', 'NAME', 'EGRESS IP', 'NODE', 'READY', 'REASON']];
  const sorted = [...policies].sort((a, b) => key(a).localeCompare(key(b)));
  for (const p of sorted) {
    const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
    const held = new Map((p.status?.assignments ?? []).map((a) => [a.egressIP, a.node]));
    for (const ip of p.spec?.egressIPs ?? []) {
      rows.push([p.metadata?.namespace ?? '', p.metadata?.name ?? '', ip, held.get(ip) ?? '<none>', ready?.status ?? 'Unknown', ready?.reason ?? '']);
    }
  }
  return table(rows);
}

/** Pure: the `explain` text. */
export function renderExplain(p: StaticEgressIP): string {
  const lines = [`${key(p)}  (generation ${p.metadata?.generation ?? '?'}, observed ${p.status?.observedGeneration ?? '-'})`];
  lines.push(`egress IPs: ${(p.spec?.egressIPs ?? []).join(', ')}`);
  const held = (p.status?.assignments ?? []).map((a) => `${a.egressIP} on ${a.node}`);
  lines.push(`held: ${held.length ? held.join(', ') : 'none'}`);
  for (const c of p.status?.conditions ?? []) {
    lines.push(`${c.type}=${c.status} (${c.reason}, since ${String(c.lastTransitionTime)})`, `  ${c.message}`);
  }
  if (!p.status?.conditions?.length) lines.push('no conditions yet: is the gateway-manager running?');
  return lines.join('\n');
}

function key(p: StaticEgressIP): string {
  return `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { kubeconfig: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`egressctl: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [cmd, arg] = parsed.positionals;
  if (cmd !== 'status' && !(cmd === 'explain' && arg?.includes('/'))) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const api = loadKubeConfig(parsed.values.kubeconfig).makeApiClient(CustomObjectsApi);
  if (cmd === 'status') {
    const list = (await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: SEIP_PLURAL })) as { items: StaticEgressIP[] };
    process.stdout.write(`${renderStatusTable(list.items)}\n`);
    return 0;
  }
  const { namespace, name } = splitKey(arg!);
  const p = (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: SEIP_PLURAL, name })) as StaticEgressIP;
  process.stdout.write(`${renderExplain(p)}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const e = err as { code?: number; message?: string };
      process.stderr.write(`egressctl: ${e.code === 404 ? 'not found' : (e.message ?? String(err)).split('\n')[0]}\n`);
      process.exit(1);
    },
  );
}
