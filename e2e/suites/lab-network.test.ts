// The lab itself, without the product: the CNI (host-gw and overlay), node masquerade, the router,
// the echo server, and the API relay. If this fails, no other e2e result means anything.
import assert from 'node:assert/strict';
import { addr as A, useLab } from '../src/scenario.js';
import { inNetns, tryInNetns } from '../src/lab/exec.js';

for (const overlay of [false, true]) {
  describe(`lab network (${overlay ? 'overlay CNI over VXLAN' : 'host-gw CNI'}, no product daemons)`, function () {
    const h = useLab({ nodes: 2, managers: 1, overlay, daemons: false });

    it('pods reach the external server with their node\'s address (CNI masquerade)', async () => {
      const lab = h.lab;
      await lab.ensureNamespace('net');
      const p1 = await lab.addPod({ namespace: 'net', name: 'a', node: 1 });
      const p2 = await lab.addPod({ namespace: 'net', name: 'b', node: 2 });
      assert.equal(await lab.sourceIPSeen(p1), A.nodeIP(1));
      assert.equal(await lab.sourceIPSeen(p2), A.nodeIP(2));
      assert.equal(await lab.sourceIPSeen(p2, A.ECHO_IP_2), A.nodeIP(2));
      const seen = lab.echoLog(h.testStart).map((e) => e.src);
      assert.deepEqual([...new Set(seen)].sort(), [A.nodeIP(1), A.nodeIP(2)]);
    });

    it('pods on different nodes reach each other with their own addresses', async () => {
      const lab = h.lab;
      const [a, b] = lab.listPods();
      assert.ok(a && b);
      // A one-shot listener in pod b that prints the peer address.
      const listener = inNetns(b.netns, 'socat', ['-T5', 'TCP-LISTEN:7000,reuseaddr', 'SYSTEM:echo $SOCAT_PEERADDR']);
      let out = '';
      for (let k = 0; k < 20 && !out; k++) {
        const r = await tryInNetns(a.netns, 'socat', ['-T2', '-', `TCP:${b.ip}:7000,connect-timeout=1`]);
        out = r.code === 0 ? r.out.trim() : '';
        if (!out) await new Promise((r2) => setTimeout(r2, 100));
      }
      await listener;
      assert.equal(out, a.ip);
    });

    if (overlay) {
      it('the LAN carries no pod-addressed frame (pods are not routable on the LAN)', async () => {
        const lab = h.lab;
        const rules = await inNetns(lab.names.lanNs, 'nft', ['list', 'table', 'bridge', lab.names.lanFilterTable]);
        assert.match(rules, /ip saddr 203\.0\.113\.0\/24 counter packets \d+ bytes \d+ drop/);
        const routes = await inNetns(lab.names.nodeNs(1), 'ip', ['route', 'show', A.podCidr(2)]);
        assert.match(routes, new RegExp(`dev ${lab.names.cniVxlan}`));
      });
    }

    it('lab namespaces reach the apiserver at 127.0.0.1:6443 through the unix-socket relay', async () => {
      const lab = h.lab;
      for (const ns of [lab.names.nodeNs(1), lab.names.managerNs(1)]) {
        // TLS handshake with the apiserver's certificate (its SANs cover 127.0.0.1) through the relay.
        const r = await tryInNetns(ns, 'sh', ['-c',
          `printf 'GET /version HTTP/1.0\\r\\n\\r\\n' | socat -T2 - OPENSSL:127.0.0.1:${A.API_PORT_IN_NETNS},verify=0`]);
        assert.match(r.out, /^HTTP\/1\.[01] \d{3}/, r.out);
      }
    });
  });
}
