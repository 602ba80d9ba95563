// One IP module for the whole project (issue 8): nothing outside it reads or writes address text.
export {
  canonicalIP, compareIPAddresses, compareIPs, formatIP, ipFromBytes, ipFromHex, ipToBytes, ipToHex, ipv4FromInt,
  familyName, ipFamilyOf, ipv4ToInt, ipv6FromBigInt, ipv6ToBigInt, isGlobalUnicast, isGlobalUnicastIPv4, parseIP, parseIPv4, parseIPv4Address, parseIPv6,
  parseIPv6Address, sortByIP,
} from './address.js';
export type { IPAddress, IPFamily, IPv4Address, IPv6Address } from './address.js';
export {
  ALL_ADDRESSES, cidrAddress, cidrContainsIP, cidrHostCount, cidrNetwork, cidrUnusableEnd, cidrsOverlap, ipv4NetworkOrBroadcast, mustParseCIDR, mustParseCIDRv4, networkOf,
  parseCIDR, parseCIDRv4,
} from './cidr.js';
export type { CIDR, CIDRResult, IPv4CIDR, IPv6CIDR, ParsedCIDR } from './cidr.js';
