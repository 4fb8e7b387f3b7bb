// What a template sees as `input`: the event, plus `input.hooker` (and
// `input.postee`, for Postee templates) describing this server. An event's
// own `hooker` object (scan results carry `hooker.scan`) is merged with the
// server's keys, never replaced, so templates see the scan verdict too.
// Events that are not objects (a top-level array, a scalar) reach the
// template unchanged: there is no place to add keys without changing them.

export interface TemplateContext {
  /** khulnasoft-server / aqua-server of cfg.yaml (links to the console). */
  serverUrl?: string;
  /** This Hooker's own URL (HOOKER_URL), when known. */
  hookerUrl?: string;
  routeName: string;
  eventId: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function templateInput(event: unknown, ctx: TemplateContext): unknown {
  if (!isObject(event)) return event;
  const own = isObject(event['hooker']) ? event['hooker'] : {};
  const hooker = { ...own, url: ctx.hookerUrl ?? '', server: ctx.serverUrl ?? '', route: ctx.routeName, event_id: ctx.eventId };
  const ownPostee = isObject(event['postee']) ? event['postee'] : {};
  return { ...event, hooker, postee: { ...ownPostee, AquaServer: ctx.serverUrl ?? '', Route: ctx.routeName } };
}
