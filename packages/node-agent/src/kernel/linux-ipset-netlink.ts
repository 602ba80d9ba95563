// In-place set member adds/deletes over netfilter netlink (NFNL_SUBSYS_IPSET), in this process:
// one pod coming or going costs a message, not an `ipset` process. Each add/del is atomic; sets are
// still created and replaced wholesale through `ipset restore` (temp set + swap). Either family: an
// IPv6 member (the IPv6 state's `family inet6` sets, issue 11) goes as IPADDR_IPV6 under NFPROTO_IPV6.
import { createRequire } from 'node:module';
import { ipToBytes } from '@static-egress/crds';
import type * as NL from 'netlink';
import type { IpsetMembers, MemberChange } from './interfaces.js';

const require = createRequire(import.meta.url);
const netlink = require('netlink') as typeof NL;

const NFNL_SUBSYS_IPSET = 6;
const IPSET_CMD_ADD = 9, IPSET_CMD_DEL = 10;
const IPSET_PROTOCOL = 6; // accepted by every kernel since 3.x (min 6, current 7)
const IPSET_ATTR_PROTOCOL = 1, IPSET_ATTR_SETNAME = 2, IPSET_ATTR_DATA = 7;
const IPSET_ATTR_IP = 1, IPSET_ATTR_IPADDR_IPV4 = 1, IPSET_ATTR_IPADDR_IPV6 = 2;
const NLA_F_NESTED = 0x8000, NLA_F_NET_BYTEORDER = 0x4000;
const AF_INET = 2, AF_INET6 = 10;
const NLM_F_EXCL = 0x200;
const IPSET_ERR_EXIST = 4103, IPSET_ERR_EXIST_DEL = 4104; // "already added" / "not in set"
const WINDOW = 64; // outstanding acks must fit the receive buffer (see linux-netlink.ts)

function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

function message(set: string, ip: string): Buffer {
  const bytes = Buffer.from(ipToBytes(ip));
  const v6 = bytes.length === 16;
  const nfgen = Buffer.from([v6 ? AF_INET6 : AF_INET, 0, 0, 0]); // family, version, res_id (BE u16)
  const addr = attr((v6 ? IPSET_ATTR_IPADDR_IPV6 : IPSET_ATTR_IPADDR_IPV4) | NLA_F_NET_BYTEORDER, bytes);
  const data = attr(IPSET_ATTR_DATA | NLA_F_NESTED, attr(IPSET_ATTR_IP | NLA_F_NESTED, addr));
  return Buffer.concat([nfgen, attr(IPSET_ATTR_PROTOCOL, Buffer.from([IPSET_PROTOCOL])), attr(IPSET_ATTR_SETNAME, Buffer.from(`${set}\0`)), data]);
}

export class LinuxIpsetMembers implements IpsetMembers {
  private readonly sock = netlink.createNetlink(netlink.Protocol.NETFILTER);

  constructor(onError?: (e: Error) => void) {
    this.sock.on('error', (e: Error) => onError?.(e)); // unhandled, the binding aborts the process
  }

  close(): void {
    this.sock.close();
  }

  private async one(cmd: number, set: string, ip: string): Promise<void> {
    try {
      await this.sock.request((NFNL_SUBSYS_IPSET << 8) | cmd, message(set, ip), { timeout: 10_000, flags: cmd === IPSET_CMD_ADD ? NLM_F_EXCL : 0 });
    } catch (err) {
      const e = err as { errno?: number; message?: string };
      const n = Math.abs(e.errno ?? Number(/error (-?\d+)/.exec(e.message ?? '')?.[1] ?? 0));
      if ((cmd === IPSET_CMD_ADD && n === IPSET_ERR_EXIST) || (cmd === IPSET_CMD_DEL && n === IPSET_ERR_EXIST_DEL)) return;
      throw new Error(`ipset ${cmd === IPSET_CMD_ADD ? 'add' : 'del'} ${set} ${ip}: ${(err as Error).message}`);
    }
  }

  /** Adds before deletes; an add of a present member or a delete of an absent one is not an error. */
  async apply(changes: readonly MemberChange[]): Promise<void> {
    const adds = changes.flatMap((c) => c.add.map((ip) => [c.set, ip] as const));
    const dels = changes.flatMap((c) => c.del.map((ip) => [c.set, ip] as const));
    for (const [list, cmd] of [[adds, IPSET_CMD_ADD], [dels, IPSET_CMD_DEL]] as const) {
      for (let i = 0; i < list.length; i += WINDOW) {
        await Promise.all(list.slice(i, i + WINDOW).map(([set, ip]) => this.one(cmd, set, ip)));
      }
    }
  }
}
