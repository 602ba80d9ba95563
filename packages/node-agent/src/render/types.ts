// What the kernel should hold, as plain data: the output of renderState, the input of the appliers.

export type IptablesTable = 'mangle' | 'nat' | 'filter';
export const IPTABLES_TABLES: readonly IptablesTable[] = ['mangle', 'nat', 'filter'];

export interface RenderConfig {
  chainPrefix: string; // SEGRESS
  ipsetPrefix: string; // segress
  uplink: string;
  vxlanDevice: string; // segress.vx
  vxlanVNI: number;
  vxlanPort: number;
}

export interface IpsetSpec {
  name: string;
  type: 'hash:ip' | 'hash:net';
  /** absent: inet (IPv4) */
  family?: 'inet6';
  members: string[]; // sorted, canonical (as `ipset save` prints them)
}

/** Our chains per table: chain → rule lines exactly as `iptables-save` prints them ("-A CHAIN ..."). */
export type IptablesChains = Record<IptablesTable, Map<string, string[]>>;

/** A jump that must sit at `position` (1-based) of a built-in chain. */
export interface JumpSpec {
  table: IptablesTable;
  chain: string; // built-in
  target: string; // our chain
  position: number;
}

export interface RuleIntent {
  priority: number;
  fwmark: number;
  fwmask: number;
  table: number;
}

export interface RouteIntent {
  table: number;
  type: 'unicast' | 'unreachable';
  gateway?: string;
  dev?: string;
  onlink: boolean;
  /** only on routes read back from the kernel that are not a plain default route (leftovers) */
  dst?: string;
  metric?: number;
}

export interface AddressIntent {
  ip: string; // /32
  dev: string;
}

export interface VxlanDeviceIntent {
  name: string;
  vni: number;
  port: number;
  local: string;
  uplink: string;
  mac: string;
  /** the inner family it carries (absent: IPv4, which needs the node IP on it and loose rp_filter) — render/vxlan.ts */
  inner?: 6;
}

export interface VxlanIntent {
  device: VxlanDeviceIntent | null;
  neighbors: { ip: string; mac: string }[]; // on the vxlan device, permanent
  fdb: { mac: string; dst: string; via: string }[]; // outer packets leave through `via` (the uplink)
}

/** The egress guard (render/guard.ts): one nftables table, replaced whole. */
export interface GuardIntent {
  table: string;
  /** of the table's body; written as the table's comment */
  hash: string;
  rules: number;
  /** the `nft -f` batch */
  text: string;
}

export interface RenderedState {
  /** absent in states built by hand (tests): no guard is planned */
  guard?: GuardIntent;
  ipsets: IpsetSpec[];
  iptables: IptablesChains;
  jumps: JumpSpec[];
  rules: RuleIntent[];
  routes: RouteIntent[];
  addresses: AddressIntent[];
  vxlan: VxlanIntent;
}
