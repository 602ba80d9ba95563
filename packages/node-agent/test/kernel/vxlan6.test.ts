// VXLAN mode's IPv6 tunnel (issue 11, render/vxlan.ts) in real namespaces: LinuxVxlan with inner
// IPv6 over an IPv4 underlay (dual stack, beside the IPv4 state's own device on the same port) and
// over an IPv6 underlay (IPv6-only). The rendered device, neighbours and fdb read back exactly as
// rendered (so a resync finds no damage), an IPv6 packet routed into it reaches the gateway through
// the tunnel — with our fwmark too, once the ip6 guard has cleared the mark — stale entries and the
// device go. Needs root, iproute2 (ip, bridge), ip6tables, nftables.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { vxlanDamage } from '../../src/plan/netlink.js';
import { tunnelNextHop, vtepMAC6 } from '../../src/desired/underlay.js';
import type { NodeState } from '../../src/desired/types.js';
import { renderGuard } from '../../src/render/guard.js';
import { ipv6TunnelConfig } from '../../src/render/vxlan.js';
import type { VxlanIntent } from '../../src/render/types.js';
import { deleteNamespaces, nsExec, runPrefix } from './netns.js';

const INNER = { d: '2001:db8:0:2::11', g: '2001:db8:0:2::12' };
const UNDERLAYS = {
  'IPv4 underlay (dual stack)': { d: '192.0.2.11', g: '192.0.2.12', len: 24 },
  'IPv6 underlay (IPv6-only)': { d: '2001:db8:0:2::11', g: '2001:db8:0:2::12', len: 64 },
};
/** Beyond the tunnel, on the gateway: what the director's route leads to. */
const TARGET = '2001:db8:0:99::1';

for (const [title, u] of Object.entries(UNDERLAYS)) {
  describe(`IPv6 VXLAN tunnel, ${title} (real namespaces)`, function () {
    this.timeout(60_000);
    const prefix = runPrefix();
    const ns = { d: `${prefix}-d`, g: `${prefix}-g` };
    const tunnel = ipv6TunnelConfig({ vxlanDevice: 'segress.vx', vxlanVNI: 7447 });
    const intent = (self: 'd' | 'g'): VxlanIntent => {
      const peer = self === 'd' ? 'g' : 'd';
      return {
        device: { name: tunnel.vxlanDevice, vni: tunnel.vxlanVNI, port: 4799, local: u[self], uplink: 'eth0', mac: vtepMAC6(u[self]), inner: 6 },
        neighbors: [{ ip: tunnelNextHop(u[peer]), mac: vtepMAC6(u[peer]) }],
        fdb: [{ mac: vtepMAC6(u[peer]), dst: u[peer], via: 'eth0' }],
      };
    };
    // the IPv6 tunnel's manager runs inside a namespace: the test process switches into none, so
    // each call goes through `ip netns exec` via a child node process
    const inNs = async (n: string, fn: string, want: VxlanIntent, have?: VxlanIntent): Promise<VxlanIntent> => {
      const script = `
        import { LinuxVxlan } from ${JSON.stringify(new URL('../../src/kernel/linux-vxlan.ts', import.meta.url).pathname)};
        const v = new LinuxVxlan(undefined, 6);
        const [fn, want, have] = JSON.parse(process.argv[1]);
        if (fn === 'add') await v.addMissing(want, have ?? await v.read(want.device?.name ?? 'segress.vx6'));
        if (fn === 'remove') await v.removeStale(want, await v.read('segress.vx6'), 'segress.vx6');
        process.stdout.write(JSON.stringify(await v.read('segress.vx6')));`;
      const r = await execa('ip', ['netns', 'exec', n, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, JSON.stringify([fn, want, have])], { reject: false });
      if (r.exitCode !== 0) throw new Error(`${fn} in ${n}: ${String(r.stderr).slice(0, 600)}`);
      return JSON.parse(String(r.stdout)) as VxlanIntent;
    };

    before(async () => {
      for (const n of Object.values(ns)) await execa('ip', ['netns', 'add', n]);
      await execa('ip', ['-n', ns.d, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.g]);
      for (const k of ['d', 'g'] as const) {
        await nsExec(ns[k], `sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.forwarding=1
          ip addr add ${u[k]}/${u.len} dev eth0 nodad 2>/dev/null || ip addr add ${u[k]}/${u.len} dev eth0
          ${u.len === 24 ? `ip -6 addr add ${INNER[k]}/64 dev eth0 nodad` : ''}
          ip link set eth0 up; ip link set lo up`);
      }
      await nsExec(ns.g, `ip -6 addr add ${TARGET}/128 dev lo`);
    });
    after(() => deleteNamespaces(prefix));

    it('the device, its neighbours and fdb entries read back as rendered: no damage at the next resync', async () => {
      for (const k of ['d', 'g'] as const) {
        const have = await inNs(ns[k], 'add', intent(k), { device: null, neighbors: [], fdb: [] });
        assert.deepEqual(have, intent(k));
        assert.equal(vxlanDamage(intent(k), have), 0);
        const mtu = Number((await nsExec(ns[k], `cat /sys/class/net/${tunnel.vxlanDevice}/mtu`)).trim());
        assert.equal(mtu, 1500 - (u.len === 24 ? 50 : 70));
      }
    });

    it('an IPv6 packet routed into the tunnel reaches the gateway through it', async () => {
      const rx = async () => Number((await nsExec(ns.g, `cat /sys/class/net/${tunnel.vxlanDevice}/statistics/rx_packets`)).trim());
      const before = await rx();
      // as the agent routes (render/state.ts): a default route onlink in a table of ours, via the
      // gateway's tunnel link-local address (its IPv6 InternalIP, on the uplink's /64, is refused:
      // "Nexthop has invalid gateway or device mismatch")
      const refused = await nsExec(ns.d, `ip -6 route add default via ${INNER.g} dev ${tunnel.vxlanDevice} onlink table 5039 2>&1 || echo refused`);
      assert.match(refused, /refused/);
      await nsExec(ns.d, `ip -6 route add default via ${tunnelNextHop(u.g)} dev ${tunnel.vxlanDevice} onlink table 5039; ip -6 rule add to ${TARGET} lookup 5039 priority 5039`);
      assert.match(await nsExec(ns.d, 'ip -6 route show table 5039'), new RegExp(`default via ${tunnelNextHop(u.g)} dev ${tunnel.vxlanDevice}.* onlink`));
      // the reply comes back over the LAN (the gateway's route to the director's address)
      const out = await nsExec(ns.d, `ping -6 -c 2 -W 2 -I ${INNER.d} ${TARGET}`, { reject: false });
      assert.match(out, /2 received/, out);
      assert.ok((await rx()) >= before + 2, 'the echo requests did not come out of the gateway\'s tunnel');
      await nsExec(ns.d, `ip -6 rule del priority 5039; ip -6 route flush table 5039`);
    });

    it('a packet with our mark routed into the tunnel: the outer packet loops back into it unless the guard clears the mark', async () => {
      // as the agent's director: fwmark rule → table → default via the gateway's tunnel link-local
      // address; unmarked, the target is reached over the LAN (the main table)
      const mark = 0x280000;
      await nsExec(ns.d, `ip -6 route add ${TARGET}/128 via ${INNER.g} dev eth0
        ip -6 route add default via ${tunnelNextHop(u.g)} dev ${tunnel.vxlanDevice} onlink table 5039
        ip -6 rule add fwmark ${mark}/0xff0000 lookup 5039 priority 5039
        ip6tables -t mangle -A OUTPUT -d ${TARGET} -j MARK --set-xmark ${mark}/0xff0000`);
      const stat = async (n: string, name: string) => Number((await nsExec(n, `cat /sys/class/net/${tunnel.vxlanDevice}/statistics/${name}`)).trim());
      const ping = () => nsExec(ns.d, `ping -6 -c 2 -W 2 -I ${INNER.d} ${TARGET} || true`);
      if (u.len === 64) {
        // over IPv6 the outer lookup meets our rule again (the IPv4 lookup is held to the fdb's `via` device)
        const before = await stat(ns.d, 'tx_errors');
        assert.match(await ping(), / 0 received/);
        assert.ok((await stat(ns.d, 'tx_errors')) > before, 'the outer packet did not loop into the tunnel');
      }
      const rx = await stat(ns.g, 'rx_packets');
      const director = {
        policyKey: 'shop/a', egressIP: '2001:db8:0:2::101', podIPs: [], destinationCIDRs: [], excludedCIDRs: [],
        slot: 40, mark, table: 5039, priority: 5039, route: { kind: 'vxlan' as const, via: tunnelNextHop(u.g), gatewayNode: 'g' },
      };
      const state = { family: 6, mode: 'vxlan', nodeIP: INNER.d, clusterCIDRs: [], markMask: 0xff0000, director: [director], gateway: [], routes: [], leakGuard: [], addresses: [], vxlanPeers: [], overflow: [] };
      await nsExec(ns.d, 'nft -f -', { input: renderGuard(state as unknown as NodeState, { ipsetPrefix: 'segress6' }).text });
      assert.match(await ping(), / 2 received/);
      assert.ok((await stat(ns.g, 'rx_packets')) >= rx + 2, 'the echo requests did not come through the tunnel');
      await nsExec(ns.d, `nft delete table ip6 segress6_guard; ip6tables -t mangle -F OUTPUT; ip -6 rule del priority 5039; ip -6 route flush table 5039
        ip -6 route del ${TARGET}/128`);
    });

    it('beside the IPv4 state\'s device on the same port where the underlay is IPv4; a hand-deleted fdb entry is damage', async () => {
      // the IPv4 state's device as LinuxVxlan makes it: the kernel takes both (VNI 7447 and 7448, one port)
      if (u.len === 24) await nsExec(ns.d, `ip link add segress.vx type vxlan id 7447 dstport 4799 local ${u.d} dev eth0 nolearning; ip link del segress.vx`);
      await nsExec(ns.d, `bridge fdb del ${vtepMAC6(u.g)} dev ${tunnel.vxlanDevice} dst ${u.g} via eth0 self`);
      const have = await inNs(ns.d, 'read', intent('d'));
      assert.equal(vxlanDamage(intent('d'), have), 1);
      assert.deepEqual(await inNs(ns.d, 'add', intent('d'), have), intent('d'));
    });

    it('stale peers go, then the device', async () => {
      const none: VxlanIntent = { device: null, neighbors: [], fdb: [] };
      const alone = { ...intent('d'), neighbors: [], fdb: [] };
      assert.deepEqual(await inNs(ns.d, 'remove', alone), alone);
      assert.deepEqual(await inNs(ns.d, 'remove', none), none);
    });
  });
}
