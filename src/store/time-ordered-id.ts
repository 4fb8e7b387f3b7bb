// Ids of stored rows (events, deliveries): UUIDs of version 7, which start
// with the time they were made. Every index keyed by an id (the events and
// deliveries primary keys, route runs, attempts by delivery) then grows at
// its end like a log instead of taking each new row on a random page: with
// random (version 4) UUIDs, committing or finishing a batch dirtied one page
// per row and index, which the WAL writes out whole (issue 12: event inserts
// and delivery finishes took about 1.5x the time). They are still UUIDs, as
// the Hooker-Delivery-Id header and the API have always said.

import { v7 } from 'uuid';

export function timeOrderedId(): string {
  return v7();
}
