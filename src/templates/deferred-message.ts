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

/** A message's render state, kept on the message under a symbol (JSON.stringify and structuredClone skip symbol keys). */
const STATE = Symbol('deferred message');

class Deferred {
  made: RenderedMessage | undefined;
  constructor(private readonly render: () => RenderedMessage, private readonly failed: (error: Error) => RenderedMessage, readonly cannotFail: boolean) {}
  get(): RenderedMessage {
    if (this.made === undefined) {
      try { this.made = this.render(); } catch (e) { this.made = this.failed(e as Error); }
    }
    return this.made;
  }
}

type Holder = { [STATE]: Deferred };

// Own enumerable accessors, not getters on a prototype: JSON.stringify, a
// spread and structuredClone (a worker's postMessage) read own properties
// only. An absent field reads as undefined, which JSON.stringify leaves out
// as it would the missing key.
//
// The same four getter functions for every message, not an object literal's
// getters: a literal makes new getter functions per object, so V8 cannot
// follow the first object's map transition (its accessor pairs differ) and
// turns every later one into a dictionary-mode object through the runtime.
// Measured (issue 12, BENCHMARKS.md "session 16: promo2"): each such message,
// and all its getters reach (the render closure, the event's text and its
// LazyEvent), was kept through scavenges until a mark-compact: 20,000
// messages of a ~270-byte event promoted ~17 MB by two scavenges, ~6-18 KB
// with shared getters (test/templates/deferred-message.test.ts); in the
// server at an offered 1,000 events/s, with routes planned and then dropped
// before their commit, 1,590-1,750 B promoted per event against 22-47 B
// without such a literal. With shared getters every message has one map.
const ACCESSORS: PropertyDescriptorMap = {
  title: { get(this: Holder) { return this[STATE].get().title; }, enumerable: true, configurable: true },
  body: { get(this: Holder) { return this[STATE].get().body; }, enumerable: true, configurable: true },
  url: { get(this: Holder) { return this[STATE].get().url; }, enumerable: true, configurable: true },
  templateError: {
    get(this: Holder) { const d = this[STATE]; return d.cannotFail && d.made === undefined ? undefined : d.get().templateError; },
    enumerable: true, configurable: true,
  },
};

/**
 * `cannotFail`: the caller knows the render succeeds (nativeRenderCannotFail
 * for a native template's event text), so `templateError` reads as absent
 * without rendering: an action that never reads the message (http sends the
 * stored event text) then costs no render at all (issue 12: 2.6 % of the
 * sustained phase's event loop, plus its garbage, for the runner's check).
 */
export function deferredMessage(render: () => RenderedMessage, failed: (error: Error) => RenderedMessage, cannotFail = false): RenderedMessage {
  return Object.defineProperties({ [STATE]: new Deferred(render, failed, cannotFail) }, ACCESSORS) as unknown as RenderedMessage;
}
