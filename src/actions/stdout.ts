// `stdout`: prints the rendered message, one JSON line per delivery, so a
// log collector can parse it.

import type { Action, ActionFactory, DeliveryContext, DeliveryResult } from './types.js';
import { defineAction } from './define.js';

export interface StdoutSink { write(text: string): unknown }

export function createStdoutAction(name: string, sink: StdoutSink = process.stdout): Action {
  return {
    name,
    type: 'stdout',
    async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
      const line = JSON.stringify({ route: ctx.routeName, action: name, eventId: ctx.eventId, title: ctx.message.title, body: ctx.message.body, ...(ctx.message.url ? { url: ctx.message.url } : {}) });
      sink.write(line + '\n');
      return { ok: true, detail: 'written to stdout' };
    },
  };
}

export const stdoutAction: ActionFactory = defineAction({
  type: 'stdout',
  keys: [],
  parse: () => ({}),
  build: (_s, ctx) => createStdoutAction(ctx.name),
});
