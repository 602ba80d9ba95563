// One long-lived python3 that sends the IPv4 GARPs (issue 16 §1), on the NA sender's line protocol
// (na-session.ts). A GARP was a fork of arping from the agent: on the loaded lab machine the first
// reply after a takeover's GARP came 24 / 42 ms p50 / p99 later, where the address moved by hand
// (arping from a shell) answers in 12 ms in all. Each line `<dev> <ip> 00` sends one gratuitous ARP
// request as `arping -U` does (broadcast, sender and target the egress IP, our MAC), from a packet
// socket: like arping's, past the kernel lease's guard, so it is sent only where the lease allows
// (the claim, under a fresh lease; repeats only while it runs — RepeatedAnnouncer.mayRepeat).
import { lineSenderScript, NaSession, type NaSessionOptions } from './na-session.js';

export const GARP_SENDER_SCRIPT = lineSenderScript([ // the line's `src` is the egress IP, `msg` unused
  'with socket.socket(socket.AF_PACKET,socket.SOCK_RAW) as s:',
  '  s.bind((dev,0x0806))',
  '  mac=s.getsockname()[4]',
  '  a=socket.inet_aton(src)',
  '  s.send(b"\\xff"*6+mac+b"\\x08\\x06\\x00\\x01\\x08\\x00\\x06\\x04\\x00\\x01"+mac+a+b"\\xff"*6+a)',
]);

const NO_PAYLOAD = new Uint8Array([0]);

/** The GARP sender: `send(dev, ip)` resolves once the frame left, rejects otherwise (no such device, no python3). */
export class GarpSession {
  private readonly s: NaSession;
  constructor(opts: Omit<NaSessionOptions, 'script' | 'name'> = {}) {
    this.s = new NaSession({ ...opts, script: GARP_SENDER_SCRIPT, name: 'GARP sender' });
  }
  send(dev: string, ip: string): Promise<void> { return this.s.send(dev, ip, NO_PAYLOAD); }
  warm(): void { this.s.warm(); }
  close(): void { this.s.close(); }
}
