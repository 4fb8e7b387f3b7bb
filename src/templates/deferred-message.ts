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
 * A message whose fields render on first read. Its state is in private
 * fields: the message shows only its four fields, so a spread, a deep
 * comparison (the threaded store's tests compare claimed messages of both
 * stores) or JSON.stringify sees what an eager message would show.
 */
class DeferredMessage {
  #made: RenderedMessage | undefined;
  readonly #render: () => RenderedMessage;
  readonly #failed: (error: Error) => RenderedMessage;
  readonly #cannotFail: boolean;

  constructor(render: () => RenderedMessage, failed: (error: Error) => RenderedMessage, cannotFail: boolean) {
    this.#render = render;
    this.#failed = failed;
    this.#cannotFail = cannotFail;
    Object.defineProperties(this, ACCESSORS);
  }

  #get(): RenderedMessage {
    if (this.#made === undefined) {
      try { this.#made = this.#render(); } catch (e) { this.#made = this.#failed(e as Error); }
    }
    return this.#made;
  }

  // Own enumerable accessors, not getters on the prototype: JSON.stringify, a
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
  static readonly accessors: PropertyDescriptorMap = {
    title: { get(this: DeferredMessage) { return this.#get().title; }, enumerable: true, configurable: true },
    body: { get(this: DeferredMessage) { return this.#get().body; }, enumerable: true, configurable: true },
    url: { get(this: DeferredMessage) { return this.#get().url; }, enumerable: true, configurable: true },
    templateError: {
      get(this: DeferredMessage) { return this.#cannotFail && this.#made === undefined ? undefined : this.#get().templateError; },
      enumerable: true, configurable: true,
    },
  };
}

const ACCESSORS = DeferredMessage.accessors;

/**
 * `cannotFail`: the caller knows the render succeeds (nativeRenderCannotFail
 * for a native template's event text), so `templateError` reads as absent
 * without rendering: an action that never reads the message (http sends the
 * stored event text) then costs no render at all (issue 12: 2.6 % of the
 * sustained phase's event loop, plus its garbage, for the runner's check).
 */
export function deferredMessage(render: () => RenderedMessage, failed: (error: Error) => RenderedMessage, cannotFail = false): RenderedMessage {
  return new DeferredMessage(render, failed, cannotFail) as unknown as RenderedMessage;
}
