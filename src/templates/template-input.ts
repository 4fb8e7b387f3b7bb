// What a template sees as `input`: the event, plus `input.hooker` (and
// `input.postee`, for Postee templates) describing this server. An event's
// own `hooker` object (scan results carry `hooker.scan`) is merged with the
// server's keys, never replaced, so templates see the scan verdict too.
// Events that are not objects (a top-level array, a scalar) reach the
// template unchanged: there is no place to add keys without changing them.
//
// Postee's own templates (a user's `package postee.*` modules, legacy
// renderers) get exactly the input Postee gave them instead, so they render
// the same bodies: the event plus `postee.AquaServer` (the console's image
// link prefix, `<aqua-server>/#/images/`) and `response_policy_name` /
// `response_policy_id` (the route name split at its last dash).

export interface TemplateContext {
  /** khulnasoft-server / aqua-server of cfg.yaml (links to the console). */
  serverUrl?: string;
  /** This Hooker's own URL (HOOKER_URL), when known. */
  hookerUrl?: string;
  routeName: string;
  eventId: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export type InputFlavour = 'hooker' | 'postee';

/** Postee's AquaServer value: the console URL with `/#/images/` appended, empty without one. */
export function posteeImagesUrl(serverUrl: string | undefined): string {
  if (!serverUrl) return '';
  return `${serverUrl}${serverUrl.endsWith('/') ? '' : '/'}#/images/`;
}

function posteeInput(event: Record<string, unknown>, ctx: TemplateContext): Record<string, unknown> {
  const dash = ctx.routeName.lastIndexOf('-');
  return {
    ...event,
    postee: { AquaServer: posteeImagesUrl(ctx.serverUrl) },
    response_policy_name: dash === -1 ? ctx.routeName : ctx.routeName.slice(0, dash),
    response_policy_id: dash === -1 ? '' : ctx.routeName.slice(dash + 1),
  };
}

export function templateInput(event: unknown, ctx: TemplateContext, flavour: InputFlavour = 'hooker'): unknown {
  if (!isObject(event)) return event;
  if (flavour === 'postee') return posteeInput(event, ctx);
  const own = isObject(event['hooker']) ? event['hooker'] : {};
  const hooker = { ...own, url: ctx.hookerUrl ?? '', server: ctx.serverUrl ?? '', route: ctx.routeName, event_id: ctx.eventId };
  const ownPostee = isObject(event['postee']) ? event['postee'] : {};
  return { ...event, hooker, postee: { ...ownPostee, AquaServer: ctx.serverUrl ?? '', Route: ctx.routeName } };
}
