// Stable slot allocation: a key keeps its previous slot; a new key takes the first free slot after
// its hash. Deterministic for the same keys and previous slots, whatever the input order, so a
// restarted agent (no previous) lands on the same slots as before except after hash collisions.
import type { OwnedRanges } from './types.js';

export interface SlotLayout {
  capacity: number;
  shift: number; // lowest set bit of the mark mask
}

export function computeSlotLayout(r: OwnedRanges): SlotLayout {
  const mask = r.markMask >>> 0;
  if (mask === 0) throw new Error('fwmark mask is empty');
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const markValues = Math.floor(mask / 2 ** shift); // contiguous mask: 2^bits - 1 non-zero values
  const capacity = Math.min(markValues, r.tableMax - r.tableMin + 1, r.priorityMax - r.priorityMin + 1);
  return { capacity: Math.max(0, capacity), shift };
}

/** FNV-1a: cheap, stable across runs and platforms. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Slots are 1..capacity. Keys that find no slot are returned in `overflow`. */
export function allocateSlots(
  keys: readonly string[],
  capacity: number,
  previous?: ReadonlyMap<string, number>,
): { slots: Map<string, number>; overflow: string[] } {
  const sorted = [...new Set(keys)].sort();
  const slots = new Map<string, number>();
  const used = new Set<number>();
  const pending: string[] = [];
  for (const k of sorted) {
    const p = previous?.get(k);
    if (p !== undefined && p >= 1 && p <= capacity && !used.has(p)) {
      slots.set(k, p);
      used.add(p);
    } else pending.push(k);
  }
  const overflow: string[] = [];
  for (const k of pending) {
    if (used.size >= capacity) {
      overflow.push(k);
      continue;
    }
    let s = (hashKey(k) % capacity) + 1;
    while (used.has(s)) s = (s % capacity) + 1;
    slots.set(k, s);
    used.add(s);
  }
  return { slots, overflow };
}
