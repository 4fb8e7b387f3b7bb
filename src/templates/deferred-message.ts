// A message rendered the first time one of its fields is read. The bundled
// native templates (raw-json, raw-html) render the whole event, and the store
// keeps such a message as the template's name (src/store/stored-message.ts),
// so at ingest the text was made and thrown away for every event whose
// deliveries are not started from memory right after the commit, and an http
// action without a body never reads it at all (issue 12: 6 % of an accepted
// event's CPU in held ingest). Reading any field renders once, and a render
// that fails reads as the failure message the eager path would have made, so
// consumers (the action runner's templateError check, JSON.stringify, a
// structured clone, a spread) see the same fields either way.

import type { RenderedMessage } from '../actions/types.js';

const FIELDS = ['title', 'body', 'url', 'templateError'] as const;

export function deferredMessage(render: () => RenderedMessage, failed: (error: Error) => RenderedMessage): RenderedMessage {
  let made: RenderedMessage | undefined;
  const get = (): RenderedMessage => {
    if (made === undefined) {
      try { made = render(); } catch (e) { made = failed(e as Error); }
    }
    return made;
  };
  const message = {} as RenderedMessage;
  // Own enumerable accessors, not getters on a prototype: JSON.stringify, a
  // spread and structuredClone (a worker's postMessage) read own properties
  // only. An absent field reads as undefined, which JSON.stringify leaves out
  // as it would the missing key.
  for (const f of FIELDS) Object.defineProperty(message, f, { enumerable: true, get: () => get()[f] });
  return message;
}
