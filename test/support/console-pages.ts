// Walks every page of a console events listing: the ids in the order the
// pages give them. Fails rather than loops when a cursor never ends.

import type { ConsoleReads, EventListFilter } from '../../src/store/console-queries.js';

export async function allEventIds(q: Pick<ConsoleReads, 'listEvents'>, f: EventListFilter, pageSize: number, maxPages: number): Promise<string[]> {
  const ids: string[] = [];
  for (let cursor: string | undefined, pages = 0; pages < maxPages; pages++) {
    const p = await q.listEvents({ ...f, limit: pageSize, ...(cursor ? { cursor } : {}) });
    ids.push(...p.items.map((e) => e.id));
    if (!(cursor = p.next)) return ids;
  }
  throw new Error(`no last page after ${maxPages} pages`);
}
