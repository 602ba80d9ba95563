// Policies in the lab (issue 4, scenarios a, b, c, h): the source address the external server sees is
// the egress IP exactly for the selected pods and destinations; several egress IPs spread over nodes;
// a namespace the pool does not admit gets nothing; a deleted policy leaves nothing behind.
// Run in the IPv4-only lab and in the dual-stack one (issue 11): there every policy holds egress IPs
// of both families, each family's destination must see that family's egress IP (a probe per family
// from a selected pod: never another source once it has it), and nothing of either is left behind.
// One lab per mode: node-1 runs pods only, node-2 and node-3 are gateways.
import assert from 'node:assert/strict';
import { pinEgressIP } from '@static-egress/crds';
import {
  FAMILY_MODES, FamilyProbes, applyFamilyPool, assertSources, egressIPsOf, podAddressesOf, probeFaults, waitSources,
} from '../src/families.js';
import { readNodeKernel, residue } from '../src/lab/inspect.js';
import * as O from '../src/lab/objects.js';
import { ADMITTED_LABEL, useLab, waitFor, type Lab, type LabPod } from '../src/scenario.js';

for (const mode of FAMILY_MODES) {
  describe(`policies (a, b, c, h) — ${mode.name}`, function () {
    const h = useLab({ nodes: 3, managers: 2, gatewayNodes: [2, 3], ipFamilies: mode.ipFamilies });
    const created: { namespace: string; name: string; ips: string[]; pods: LabPod[] }[] = [];
    const residueOn = async (lab: Lab, ips: string[], podIPs: string[], range?: [number, number]) =>
      (await Promise.all(lab.nodeIndexes.map(async (i) => residue(await readNodeKernel(lab, i), ips, podIPs, range)))).flat();

    before(async function () {
      await applyFamilyPool(h.lab, mode);
    });

    it('(a) pods behind a Service leave with the egress IP, to the destination CIDR only', async () => {
      const lab = h.lab;
      const ips = egressIPsOf(mode, 0);
      await lab.ensureNamespace('shop', ADMITTED_LABEL);
      const fe1 = await lab.addPod({ namespace: 'shop', name: 'frontend-1', node: 1, labels: { app: 'frontend' } });
      const fe2 = await lab.addPod({ namespace: 'shop', name: 'frontend-2', node: 2, labels: { app: 'frontend' } });
      const other = await lab.addPod({ namespace: 'shop', name: 'other-1', node: 1, labels: { app: 'other' } });
      await lab.addService('shop', 'frontend', { app: 'frontend' });
      await lab.applyPolicy({
        namespace: 'shop', name: 'frontend-egress', egressIPs: ips, serviceName: 'frontend',
        destinationCIDRs: mode.families.map((f) => `${f.echo}/${f.hostLen}`),
      });
      created.push({ namespace: 'shop', name: 'frontend-egress', ips, pods: [fe1, fe2, other] });
      const assigned = await lab.waitAssigned('shop', 'frontend-egress', 90_000);
      console.log(`      ${ips.map((ip) => `${ip} assigned to ${assigned.get(ip)}`).join(', ')}`);
      for (const ip of ips) assert.ok(['node-2', 'node-3'].includes(assigned.get(ip) ?? ''), `only gateway-labelled nodes may hold ${ip}`);

      // Each director programs a moment after the gateway, from its own watch: poll, then require.
      await waitSources(lab, fe1, mode, (f) => f.egressIP(0));
      await waitSources(lab, fe2, mode, (f) => f.egressIP(0)); // a selected pod on a gateway node
      const probes = await FamilyProbes.start(lab, fe1, mode, { mode: 'udp', intervalMs: 20 });
      await assertSources(lab, fe1, mode, (f) => f.nodeIP(1), { dst: (f) => f.echo2, why: 'destination outside destinationCIDRs' });
      await assertSources(lab, other, mode, (f) => f.nodeIP(1), { why: 'a pod the Service does not select' });
      const ready = (await lab.getPolicy('shop', 'frontend-egress'))?.status?.conditions?.find((c) => c.type === 'Ready');
      assert.equal(ready?.status, 'True', JSON.stringify(ready));
      assert.deepEqual(probeFaults(await probes.stop('udp probe from frontend-1', (f) => f.egressIP(0))), []);
    });

    it('(b) two egress IPs on one policy are held by two different nodes; each pod keeps its pinned IP', async () => {
      const lab = h.lab;
      const byFamily = mode.families.map((f) => [f, [f.egressIP(1), f.egressIP(2)]] as const);
      const ips = byFamily.flatMap(([, two]) => two);
      await lab.ensureNamespace('multi', ADMITTED_LABEL);
      const pods: LabPod[] = [];
      for (let k = 1; k <= 4; k++) {
        pods.push(await lab.addPod({ namespace: 'multi', name: `m-${k}`, node: 1, labels: { app: 'multi' } }));
      }
      await lab.applyPolicy({ namespace: 'multi', name: 'two-ips', egressIPs: ips, podSelector: { matchLabels: { app: 'multi' } } });
      created.push({ namespace: 'multi', name: 'two-ips', ips, pods });
      const assigned = await lab.waitAssigned('multi', 'two-ips', 90_000);
      const held = await lab.holders();
      for (const [f, two] of byFamily) {
        const nodes = two.map((ip) => assigned.get(ip));
        console.log(`      ${two[0]} → ${nodes[0]}, ${two[1]} → ${nodes[1]}`);
        assert.notEqual(nodes[0], nodes[1], `one node must never hold two ${f.name} IPs of the same policy`);
      }
      for (const ip of ips) assert.equal(held.get(ip)?.length, 1, `${ip} on exactly one node: ${held.get(ip)}`);

      const seen: string[] = [];
      let first: { pod: LabPod; pinned: Map<string, string>; probes: FamilyProbes } | undefined;
      for (const p of pods) {
        const obj = await lab.kube.get<{ metadata: { uid: string } }>(O.paths.pod(p.namespace, p.name));
        const want = new Map(byFamily.map(([f, two]) => [f.name, pinEgressIP(obj.metadata.uid, two)] as const));
        for (const f of mode.families) {
          const got = await waitFor(`${p.name} to leave with ${want.get(f.name)}`, async () => {
            const s = await lab.sourceIPSeen(p, f.echo);
            return s === want.get(f.name) ? s : undefined;
          }, 30_000, 300).catch(async () => lab.sourceIPSeen(p, f.echo));
          seen.push(`${p.name}→${got}`);
          assert.equal(got, want.get(f.name), `${p.name} (uid ${obj.metadata.uid}) is pinned to ${want.get(f.name)} (${f.name})`);
        }
        // once there, a pod keeps its pinned IP of each family: a probe from the first while the others are checked
        first ??= { pod: p, pinned: want, probes: await FamilyProbes.start(lab, p, mode, { mode: 'udp', intervalMs: 20 }) };
      }
      console.log(`      ${seen.join(', ')}`);
      assert.deepEqual(probeFaults(await first!.probes.stop(`udp probe from ${first!.pod.name}`, (f) => first!.pinned.get(f.name)!)), []);
    });

    it('(c) a namespace the pool does not admit cannot use its IP: condition, Event, nothing programmed', async () => {
      const lab = h.lab;
      const ips = egressIPsOf(mode, 3);
      await lab.ensureNamespace('tenant-b'); // no egress=allowed label
      const pod = await lab.addPod({ namespace: 'tenant-b', name: 'b-1', node: 1, labels: { app: 'b' } });
      await lab.applyPolicy({ namespace: 'tenant-b', name: 'steal', egressIPs: ips, podSelector: { matchLabels: { app: 'b' } } });
      created.push({ namespace: 'tenant-b', name: 'steal', ips, pods: [pod] });
      const cond = await waitFor('Ready=False IPNotAuthorized on tenant-b/steal', async () => {
        const c = (await lab.getPolicy('tenant-b', 'steal'))?.status?.conditions?.find((x) => x.type === 'Ready');
        return c?.status === 'False' && c.reason === 'IPNotAuthorized' ? c : undefined;
      }, 60_000, 300);
      console.log(`      Ready=False ${cond.reason}: ${cond.message}`);
      const ev = await waitFor('an EgressIPNotAuthorized Event', async () => {
        const list = await lab.kube.get<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>(
          O.paths.events('tenant-b'));
        return list.items.find((e) => e.reason === 'EgressIPNotAuthorized' && e.involvedObject.name === 'steal');
      }, 30_000, 300);
      console.log(`      Event ${ev.reason}: ${ev.message}`);

      // Nothing programmed: the IPs on no node, no trace of them in any kernel, the pod leaves as before.
      const held = await lab.holders();
      for (const ip of ips) assert.equal(held.get(ip), undefined, `${ip} must be on no node: ${held.get(ip)}`);
      assert.deepEqual(await residueOn(lab, ips, podAddressesOf(mode, [pod]), [0, -1]), []);
      await assertSources(lab, pod, mode, (f) => f.nodeIP(1));
    });

    it('(h) a deleted policy leaves nothing on any node', async () => {
      const lab = h.lab;
      const ips = created.flatMap((c) => c.ips);
      const podIPs = podAddressesOf(mode, created.flatMap((c) => c.pods));
      const before = await residueOn(lab, ips, podIPs);
      for (const f of mode.families) {
        assert.ok(before.some((l) => l.includes(f.egressIP(0))), `sanity: the ${f.name} egress IP was programmed somewhere`);
      }
      for (const c of created) await lab.deletePolicy(c.namespace, c.name);
      const left = await waitFor('every trace of the deleted policies to go', async () => {
        const r = await residueOn(lab, ips, podIPs);
        return r.length === 0 ? r : undefined;
      }, 60_000, 500).catch(async (err: Error) => {
        throw new Error(`${err.message}:\n  ${(await residueOn(lab, ips, podIPs)).join('\n  ')}`);
      });
      assert.deepEqual(left, []);
      for (const c of created) {
        for (const p of c.pods) await assertSources(lab, p, mode, (f) => f.nodeIP(p.node), { why: 'back to its node\'s address' });
      }
    });
  });
}
