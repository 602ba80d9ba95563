// Rendezvous (highest random weight) hashing: each pod takes the IP with the highest
// hash(podUID, ip). The choice depends only on the set, not its order; removing an IP moves only
// the pods that had it; adding one moves only the pods that now score it highest.

/** 32-bit FNV-1a over UTF-16 code units, then murmur3's finalizer for avalanche. Stable forever. */
export function stableHash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The egress IP a pod leaves with. With `prefer` (an IP whose gateway is in the pod's zone, see
 * zones.ts) the pod pins among the preferred IPs when it has any, and among all of them otherwise, so
 * a pod whose zone holds none of them keeps exactly the pin it had without zones. Throws on an empty
 * list (a caller bug: no IP, no pinning).
 */
export function pinEgressIP(podUID: string, ips: readonly string[], prefer?: (ip: string) => boolean): string {
  if (prefer) {
    const near = ips.filter(prefer);
    if (near.length > 0) return rendezvous(podUID, near);
  }
  return rendezvous(podUID, ips);
}

function rendezvous(podUID: string, ips: readonly string[]): string {
  let best: string | undefined;
  let bestScore = -1;
  for (const ip of ips) {
    const score = stableHash32(`${podUID}\u0000${ip}`);
    // Ties (rare in 32 bits) go to the smaller IP text so the order of `ips` never matters.
    if (score > bestScore || (score === bestScore && best !== undefined && ip < best)) {
      best = ip;
      bestScore = score;
    }
  }
  if (best === undefined) throw new RangeError('pinEgressIP: no egress IPs to pin to');
  return best;
}
