// The unsolicited neighbour advertisement (issue 11): the IPv6 counterpart of the gratuitous ARP,
// sent on every claim so that neighbours caching the egress IP at the old gateway's link-layer
// address switch at once. RFC 4861 §4.4 / §7.2.6: ICMPv6 type 136, Override set, Solicited and
// Router clear, the target option carrying our link-layer address; sent to all-nodes (ff02::1) with
// hop limit 255 from the egress IP itself. The checksum is left zero: the kernel fills it for a raw
// ICMPv6 socket. Pure bytes; kernel/linux-ip6.ts sends them.
import { ipToBytes } from '@static-egress/crds';

const NA_TYPE = 136;
const FLAG_OVERRIDE = 0x20;
const OPT_TARGET_LLADDR = 2;

/** The ICMPv6 message of an unsolicited NA for `target` at `mac` (aa:bb:cc:dd:ee:ff). */
export function renderUnsolicitedNA(target: string, mac: string): Uint8Array {
  const lladdr = mac.split(':').map((h) => parseInt(h, 16));
  if (lladdr.length !== 6 || lladdr.some((b) => !(b >= 0 && b <= 255))) throw new Error(`not a MAC address: ${JSON.stringify(mac)}`);
  const t = ipToBytes(target);
  if (t.length !== 16) throw new Error(`not an IPv6 address: ${JSON.stringify(target)}`);
  return Uint8Array.from([NA_TYPE, 0, 0, 0, FLAG_OVERRIDE, 0, 0, 0, ...t, OPT_TARGET_LLADDR, 1, ...lladdr]);
}
