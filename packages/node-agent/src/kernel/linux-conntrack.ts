// Forgets the conntrack state of egress IPs (issue 14 §2). A node that gains or loses an egress IP
// must not keep flows of an earlier tenure: an ESTABLISHED entry SNATed to the IP from the first
// time this node held it puts a resumed connection's retransmissions outside its window, they are
// classed INVALID and dropped, and the connection hangs (A → B → A). Deleting the entries lets
// `nf_conntrack_tcp_loose` pick the flow up again with the same mapping (SNAT keeps the port).
import { execa } from 'execa';
import type { ConntrackFlusher } from './interfaces.js';

export class LinuxConntrack implements ConntrackFlusher {
  async forget(ips: readonly string[]): Promise<void> {
    // flows SNATed to the IP (their reply goes to it), and flows addressed to it, all at once;
    // `conntrack -D` exits 1 when nothing matched, which is not an error here
    await Promise.all(ips.flatMap((ip) => ['--reply-dst', '--orig-dst'].map(async (sel) => {
      const r = await execa('conntrack', ['-D', sel, ip], { reject: false });
      if (r.exitCode !== 0 && !/0 flow entries/.test(String(r.stderr))) {
        throw new Error(`conntrack -D ${sel} ${ip} failed (exit ${r.exitCode}): ${String(r.stderr).trim().split('\n')[0]}`);
      }
    })));
  }
}
