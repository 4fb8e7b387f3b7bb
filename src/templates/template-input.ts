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
  /** One item of a `split-by` route: its position, the array's length and the split path (`input.hooker.item`). */
  item?: { index: number; count: number; path: string };
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
  const hooker = { ...own, url: ctx.hookerUrl ?? '', server: ctx.serverUrl ?? '', route: ctx.routeName, event_id: ctx.eventId, ...(ctx.item ? { item: ctx.item } : {}) };
  const ownPostee = isObject(event['postee']) ? event['postee'] : {};
  return { ...event, hooker, postee: { ...ownPostee, AquaServer: ctx.serverUrl ?? '', Route: ctx.routeName } };
}

/** Paths of the template input that differ from route to route, per flavour. */
const ROUTE_KEYS: Record<InputFlavour, string[][]> = {
  hooker: [['hooker', 'route'], ['postee', 'Route']],
  postee: [['response_policy_name'], ['response_policy_id']],
};

const INPUT_REF = /\binput\b((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*|\s*\[\s*"(?:[^"\\]|\\.)*"\s*\])*)/g;
const SEGMENT = /\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*("(?:[^"\\]|\\.)*")\s*\]/g;

/**
 * Whether template modules may read a route-dependent part of their input,
 * judged from the source text: any `input` reference that is the whole input,
 * a prefix of a route-dependent path (`input.hooker`, `input.hooker[k]`), or
 * that path itself counts. Conservative: a mention in a comment or a string
 * also counts, and then the template is only rendered once per route as
 * before, never wrongly shared.
 */
export function readsRouteKeys(sources: string[], flavour: InputFlavour): boolean {
  const routeKeys = ROUTE_KEYS[flavour];
  for (const source of sources) {
    for (const m of source.matchAll(INPUT_REF)) {
      const path: string[] = [];
      try {
        for (const s of m[1]!.matchAll(SEGMENT)) path.push(s[1] ?? (JSON.parse(s[2]!) as string));
      } catch {
        return true;
      }
      const n = path.length;
      if (routeKeys.some((k) => k.slice(0, n).every((p, i) => p === path[i]))) return true;
    }
  }
  return false;
}
