// What a template sees as `input`: the event, plus `input.hooker` (and
// `input.postee`, for Postee templates) describing this server.

export interface TemplateContext {
  /** khulnasoft-server / aqua-server of cfg.yaml (links to the console). */
  serverUrl?: string;
  /** This Hooker's own URL (HOOKER_URL), when known. */
  hookerUrl?: string;
  routeName: string;
  eventId: string;
}

export function templateInput(event: unknown, ctx: TemplateContext): unknown {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return event;
  const hooker = { url: ctx.hookerUrl ?? '', server: ctx.serverUrl ?? '', route: ctx.routeName, event_id: ctx.eventId };
  return { ...(event as Record<string, unknown>), hooker, postee: { AquaServer: ctx.serverUrl ?? '', Route: ctx.routeName } };
}
