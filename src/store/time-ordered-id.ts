// Ids of stored rows (events, deliveries): UUIDs of version 7, which start
// with the time they were made. Every index keyed by an id (the events and
// deliveries primary keys, route runs, attempts by delivery) then grows at
// its end like a log instead of taking each new row on a random page: with
// random (version 4) UUIDs, committing or finishing a batch dirtied one page
// per row and index, which the WAL writes out whole (issue 12: event inserts
// and delivery finishes took about 1.5x the time). They are still UUIDs, as
// the Hooker-Delivery-Id header and the API have always said.
//
// Made here from Node's randomUUID (whose random bytes come from a cached
// block) rather than by the uuid package's v7, which refilled a 256-byte pool
// with randomFillSync every 16 ids: about 4 ids per event made that a visible
// part of routing an event (issue 12). The layout is RFC 9562's: 48 bits of
// Unix milliseconds, version 7, a 12-bit counter (rand_a, started at a random
// value each millisecond) so ids made in one millisecond still sort in the
// order they were made, and version 4's 62 random bits with its variant.

import { randomUUID } from 'node:crypto';

let lastMs = -1;
let prefix = '';
let counter = 0;

function hex3(n: number): string {
  return (n | 0x1000).toString(16).slice(1);
}

export function timeOrderedId(): string {
  // Never backwards (a clock step back keeps the last millisecond), so ids keep their order.
  let ms = Math.max(Date.now(), lastMs);
  if (ms === lastMs && counter < 0xfff) {
    counter++;
  } else {
    // A new millisecond, or 4096 ids in this one: move on (at most to a millisecond ahead of the clock).
    if (ms === lastMs) ms++;
    lastMs = ms;
    const h = ms.toString(16).padStart(12, '0');
    prefix = `${h.slice(0, 8)}-${h.slice(8)}-7`;
    // A random start below half the range, leaving room to count up within the millisecond.
    counter = Math.floor(Math.random() * 0x800);
  }
  // randomUUID: xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; its last 17 characters are the variant and random bits.
  return `${prefix}${hex3(counter)}${randomUUID().slice(18)}`;
}
