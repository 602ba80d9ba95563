// The lab's address plan (docs/CONTRACTS.md "Lab addressing"): documentation ranges only.
export const LAN_CIDR = '192.0.2.0/24';
export const LAN_PREFIX_LEN = 24;
export const ROUTER_LAN_IP = '192.0.2.1';
export const ROUTER_EXT_IP = '198.51.100.1';
export const EXTERNAL_CIDR = '198.51.100.0/24';
export const ECHO_IP = '198.51.100.10';
export const ECHO_IP_2 = '198.51.100.20';
/** A third destination (per-destination selection, issue 9). */
export const ECHO_IP_3 = '198.51.100.30';
export const ECHO_TCP_PORT = 8080;
export const ECHO_UDP_PORT = 8081;
/** TCP port whose connections stay open: every line is answered with "<source IP> <line>". */
export const ECHO_STREAM_PORT = 8082;
export const POD_CIDR = '203.0.113.0/24';
export const SERVICE_CIDR = '203.0.113.224/27';
export const CLUSTER_CIDRS = [POD_CIDR, SERVICE_CIDR];
export const EGRESS_POOL_CIDR = '192.0.2.96/27';
export const API_PORT_IN_NETNS = 6443;
/** The overlay CNI's own VXLAN (not the product's VNI/port). */
export const CNI_VXLAN_VNI = 42;
export const CNI_VXLAN_PORT = 8472;
/** Node N gets 203.0.113.(32·N)/27; N=7 would collide with the service range. */
export const MAX_NODES = 6;
/**
 * An IPv6-only lab has no IPv4 pod /27s (ipv6.ts): node N is 2001:db8:0:2::(10+N) — below the
 * managers (::201) and the IPv6 egress pool (::100/120) up to N = 89 — with pod /64 2001:db8:0:70NN::
 * (NN < ff, the service range) and a one-byte VTEP MAC. 64 covers the OpenShift perf-scale profile's
 * 24 nodes (issue 16 §4) with room to spare.
 */
export const MAX_NODES_IPV6_ONLY = 64;
export const MAX_MANAGERS = 2;

export function nodeIP(i: number): string {
  return `192.0.2.${10 + i}`;
}
export function managerIP(i: number): string {
  return `192.0.2.${200 + i}`;
}
export function podCidr(i: number): string {
  return `203.0.113.${32 * i}/27`;
}
/** The node-side address pods use as their default gateway. */
export function podGatewayIP(i: number): string {
  return `203.0.113.${32 * i + 1}`;
}
/** The overlay device's address on node i (the /27's network address, as flannel does). */
export function cniVtepIP(i: number): string {
  return `203.0.113.${32 * i}`;
}
/** The j-th pod (j ≥ 0) of node i: .32i+2 … .32i+30. */
export function podIP(i: number, j: number): string {
  if (j < 0 || j > 28) throw new Error(`node ${i} has no pod address left (index ${j})`);
  return `203.0.113.${32 * i + 2 + j}`;
}
/** A stable locally administered MAC for node i's overlay device (static neighbour entries need it). */
export function cniVtepMac(i: number): string {
  return `02:5e:1a:b0:00:${i.toString(16).padStart(2, '0')}`;
}
