// How a route run's rendered message is kept in a row (route_runs.message,
// both engines). The message of a bundled native template (raw-json,
// raw-html: native-templates.ts) is a pure function of the event, which the
// row's event already holds: it is stored as the template's name and
// rendered again from the stored body when read (claim, `hooker deliveries`,
// the console), instead of a second copy of the event's text in the row
// (issue 12: that copy was a third of the pages each ingest commit wrote).
// Any other message is its JSON text. The two cannot be confused: a
// message's JSON text starts with `{`, a marker with NATIVE_PREFIX.

import type { RenderedMessage } from '../actions/types.js';
import type { PlannedRoute } from '../delivery/plan.js';
import { NATIVE_TEMPLATES, nativeRenderCannotFail } from '../templates/native-templates.js';
import { parseJson } from '../json/lossless.js';
import { deferredMessage } from '../templates/deferred-message.js';

const NATIVE_PREFIX = 'native:';

/**
 * The marker of a run whose message the native template rendered from the
 * plan's whole event (stored as its body), or undefined when the message text must be stored.
 * The router sets `nativeTemplate` only for such a run (not for an item of
 * a split route, nor a failed render); a package this build has no twin for
 * is stored as text.
 */
export function nativeMarker(route: PlannedRoute): string | undefined {
  const pkg = route.nativeTemplate;
  return pkg !== undefined && NATIVE_TEMPLATES.has(pkg) ? NATIVE_PREFIX + pkg : undefined;
}

/** The stored text of a run's message: its marker, or its JSON text. */
export function storedMessageText(route: PlannedRoute): string {
  return nativeMarker(route) ?? JSON.stringify(route.message);
}

export function isNativeMarker(text: string): boolean {
  return text.startsWith(NATIVE_PREFIX);
}

/**
 * A stored message read back. `event` is the run's event as stored (the
 * original body, never an enriched one: the marker stands for the message
 * rendered at ingest), parsed when called; `eventText`, when given, is its
 * stored JSON text.
 */
export function readStoredMessage(text: string, event: () => unknown, eventText?: string): RenderedMessage {
  if (!isNativeMarker(text)) return JSON.parse(text) as RenderedMessage;
  const pkg = text.slice(NATIVE_PREFIX.length);
  const render = NATIVE_TEMPLATES.get(pkg);
  // Only a later build without this twin could meet one: say which, rather than deliver an empty message.
  if (!render) throw new Error(`stored message names the bundled template ${pkg}, which this build does not render natively`);
  // Rendered when first read (deferred-message.ts), as at ingest: by the
  // action runner's templateError check when the delivery runs, not by the
  // claim, the admin API or the console's listing. The router stores the
  // marker without rendering first, so a render that fails reads as the
  // event's template failure (a dead delivery), not as a failed read of
  // every run claimed with it.
  // With the event's stored text (`eventText`, the text `event` parses) at hand, a render known not to fail is not run for the check.
  return deferredMessage(() => render(event()), (e) => ({ title: '', body: '', templateError: `template ${pkg} failed for this event: ${e.message}` }),
    eventText !== undefined && nativeRenderCannotFail(eventText));
}

/** readStoredMessage with the event as its stored JSON text. */
export function readStoredMessageOf(text: string, body: string): RenderedMessage {
  return readStoredMessage(text, () => parseJson(body), body);
}
