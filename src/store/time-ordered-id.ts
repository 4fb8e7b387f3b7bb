// Ids of stored rows (events, deliveries): UUIDs of version 7, which start
// with the time they were made. Every index keyed by an id (the events and
// deliveries primary keys, route runs, attempts by delivery) then grows at
// its end like a log instead of taking each new row on a random page: with
// random (version 4) UUIDs, committing or finishing a batch dirtied one page
// per row and index, which the WAL writes out whole (issue 12: event inserts
// and delivery finishes took about 1.5x the time). They are still UUIDs, as
// the Hooker-Delivery-Id header and the API have always said.
//
// Made here from a block of random bytes (randomFillSync, refilled every 512
// ids) written as hex into one scratch buffer and read out as one string:
// the uuid package's v7 refilled a 256-byte pool every 16 ids, and Node's
// randomUUID (cached random bytes, but its text built by ~36 string
// concatenations) plus the slice and concatenation here left about 500
// bytes of garbage per id, 5 % of all the event loop allocated at 9,000
// deliveries/s with 4 ids per event (issue 12; 475 -> 178 ns per id, 8x
// fewer scavenges in a loop of ids). The layout is RFC 9562's: 48 bits of
// Unix milliseconds, version 7, a 12-bit counter (rand_a, started at a
// random value each millisecond) so ids made in one millisecond still sort
// in the order they were made, and 62 random bits with version 4's variant.

import { randomFillSync } from 'node:crypto';

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Random bytes, 8 per id. */
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;
/** The id being written: xxxxxxxx-xxxx-7ccc-Vxxx-xxxxxxxxxxxx (the dashes stay; the time part changes once per millisecond). */
const id = Buffer.alloc(36, '-', 'latin1');
id[14] = 0x37; // '7'

let lastMs = -1;
let counter = 0;

export function timeOrderedId(): string {
  // Never backwards (a clock step back keeps the last millisecond), so ids keep their order.
  let ms = Math.max(Date.now(), lastMs);
  if (ms === lastMs && counter < 0xfff) {
    counter++;
  } else {
    // A new millisecond, or 4096 ids in this one: move on (at most to a millisecond ahead of the clock).
    if (ms === lastMs) ms++;
    lastMs = ms;
    // 12 hex digits of milliseconds at 0-7 and 9-12.
    let m = ms;
    for (let i = 12; i >= 0; i--) {
      if (i === 8) continue;
      id[i] = HEX[m % 16]!;
      m = Math.floor(m / 16);
    }
    // A random start below half the range, leaving room to count up within the millisecond.
    counter = Math.floor(Math.random() * 0x800);
  }
  id[15] = HEX[counter >> 8]!;
  id[16] = HEX[(counter >> 4) & 15]!;
  id[17] = HEX[counter & 15]!;
  if (poolAt + 8 > pool.length) { randomFillSync(pool); poolAt = 0; }
  // The variant (10xx: 8, 9, a or b) with 2 random bits, then 15 random hex digits at 20-22 and 24-35.
  const first = pool[poolAt]!;
  id[19] = HEX[8 | (first & 3)]!;
  id[20] = HEX[first >> 4]!;
  let at = 21;
  for (let k = 1; k < 8; k++) {
    const b = pool[poolAt + k]!;
    id[at++] = HEX[b >> 4]!;
    if (at === 23) at++;
    id[at++] = HEX[b & 15]!;
    if (at === 23) at++;
  }
  poolAt += 8;
  return id.toString('latin1', 0, 36);
}
