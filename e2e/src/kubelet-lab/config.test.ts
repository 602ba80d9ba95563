import assert from 'node:assert/strict';
import { parse } from 'yaml';
import * as C from './config.js';
import { cgroupHierarchies, mountsUnder } from './host.js';
import { renderKubeletLabNetwork } from './lab.js';
import { planTopology } from '../lab/topology.js';

const p = C.nodePaths('/tmp/static-egress-kubelet-lab/selabcd', 'node-1');

describe('kubelet-lab config', () => {
  it('keeps every containerd and kubelet path under the run directory', () => {
    const toml = C.renderContainerdConfig(p, { sandboxImage: 'lab-pause:1', cniBinDir: '/tmp/x/cni-bin' });
    const paths = [...toml.matchAll(/"(\/[^"]*)"/g)].map((m) => m[1] ?? '');
    assert.ok(paths.length >= 5);
    for (const q of paths.filter((x) => !x.startsWith('/tmp/x/'))) assert.ok(q.startsWith(p.dir), q);
    assert.match(toml, /restrict_oom_score_adj = true/);
    assert.match(toml, /netns_mounts_under_state_dir = true/);
    const kubelet = parse(C.renderKubeletConfig(p, { nodeIP: '192.0.2.11', cgroupRoot: '/selabcd-kubelet/node-1' })) as Record<string, unknown>;
    assert.equal(kubelet.failCgroupV1, false);
    assert.equal(kubelet.cgroupDriver, 'cgroupfs');
    assert.equal(kubelet.podLogsDir, p.podLogs);
    assert.equal(kubelet.containerRuntimeEndpoint, `unix://${p.containerdSock}`);
    const cni = JSON.parse(C.renderCniConflist(p)) as { plugins: { subnetFile?: string; ipam?: { dataDir: string } }[] };
    assert.equal(cni.plugins[0]?.subnetFile, p.flannelSubnetFile);
    assert.ok(cni.plugins[0]?.ipam?.dataDir.startsWith(p.dir));
  });
  it('install overlay: the shipped base, the cluster CIDRs, VXLAN mode only for an overlay CNI', () => {
    const direct = C.renderInstallKustomization({ base: '../../manifests', clusterCIDRs: ['203.0.113.0/24'], mode: 'direct' });
    assert.match(direct, /- \.\.\/\.\.\/manifests/);
    assert.match(direct, /value: 203\.0\.113\.0\/24/);
    assert.doesNotMatch(direct, /--mode=vxlan/);
    assert.match(C.renderInstallKustomization({ base: 'm', clusterCIDRs: [], mode: 'vxlan' }), /--mode=vxlan/);
    assert.doesNotMatch(direct, /images:/);
    const upgrade = parse(C.renderInstallKustomization({ base: 'm', clusterCIDRs: [], mode: 'direct', imageTag: '0.1.1' })) as
      { images: { name: string; newTag: string }[] };
    assert.deepEqual(upgrade.images, [{ name: 'static-egress', newTag: '0.1.1' }]);
  });
  it('drops the fast lab stand-in CNI from node namespaces and adds the apiserver DNAT', () => {
    const plan = planTopology({ prefix: 'selabcd', nodes: 2, managers: 0, overlay: false });
    const scripts = renderKubeletLabNetwork(plan);
    const node = scripts.filter((s) => s.ns === 'selabcd-n1');
    assert.ok(!node.some((s) => s.tool === 'ip' && s.lines.some((l) => l.includes('203.0.113.64'))), 'no static pod routes');
    const dnat = node.find((s) => s.tool === 'iptables-restore');
    assert.ok(dnat && dnat.tool === 'iptables-restore' && dnat.text.includes('selabcd-APISVC') && dnat.text.includes('192.0.2.11:6443'));
  });
  it('reads cgroup hierarchies and mounts from mountinfo', () => {
    const mi = [
      '30 23 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '31 23 0:27 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      '40 1 0:50 / /tmp/run/a rw - tmpfs tmpfs rw',
      '41 40 0:51 / /tmp/run/a/b rw - overlay overlay rw',
      '42 1 0:52 / /tmp/runner rw - tmpfs tmpfs rw',
    ].join('\n');
    assert.deepEqual(cgroupHierarchies(mi), ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/unified']);
    assert.deepEqual(mountsUnder('/tmp/run', mi), ['/tmp/run/a/b', '/tmp/run/a']);
  });
});
