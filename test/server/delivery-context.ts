import type { DeliveryContext } from '../../src/actions/types.js';

export function deliveryContext(over: Partial<DeliveryContext> = {}): DeliveryContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    deliveryId: 'd-1', eventId: 'e-1', routeName: 'r', event: { a: 1 },
    message: { title: 't', body: '{"a":1}' }, hops: 0, signal: new AbortController().signal,
    log: (l: string) => { lines.push(l); }, lines, ...over,
  };
}
