// A message rendered the first time one of its fields is read. The bundled
// native templates (raw-json, raw-html) render the whole event, and the store
// keeps such a message as the template's name (src/store/stored-message.ts),
// so the text rendered at ingest was thrown away for every event whose
// deliveries were not started from memory right after the commit: a claim
// renders it again from the stored body (issue 12: 6 % of an accepted event's
// CPU in held ingest). The action runner reads `templateError` before each
// attempt, so a delivery still renders it, once per message object (one per
// event in memory, one per claimed run). Reading any field renders once, and
// a render that fails reads as the failure message the eager path would have
// made, so consumers (the runner's templateError check, JSON.stringify, a
// structured clone, a spread) see the same fields either way.

import type { RenderedMessage } from '../actions/types.js';

/**
 * `cannotFail`: the caller knows the render succeeds (nativeRenderCannotFail
 * for a native template's event text), so `templateError` reads as absent
 * without rendering: an action that never reads the message (http sends the
 * stored event text) then costs no render at all (issue 12: 2.6 % of the
 * sustained phase's event loop, plus its garbage, for the runner's check).
 */
export function deferredMessage(render: () => RenderedMessage, failed: (error: Error) => RenderedMessage, cannotFail = false): RenderedMessage {
  let made: RenderedMessage | undefined;
  const get = (): RenderedMessage => {
    if (made === undefined) {
      try { made = render(); } catch (e) { made = failed(e as Error); }
    }
    return made;
  };
  // Own enumerable accessors (an object literal's getters), not getters on a
  // prototype: JSON.stringify, a spread and structuredClone (a worker's
  // postMessage) read own properties only. An absent field reads as
  // undefined, which JSON.stringify leaves out as it would the missing key.
  // (A literal is made from its boilerplate: Object.defineProperty per field
  // cost 1.5 % of an accepted event's CPU.)
  return {
    get title() { return get().title; },
    get body() { return get().body; },
    get url() { return get().url; },
    get templateError() { return cannotFail && made === undefined ? undefined : get().templateError; },
  };
}
