// `stdout`: prints the rendered message as Postee did: the template's
// `result` as is (its JSON when it is an object). One addition: a newline
// after a message that does not end with one, so messages never run together.

import type { Action, ActionFactory, DeliveryContext, DeliveryResult } from './types.js';
import { defineAction } from './define.js';

export interface StdoutSink { write(text: string): unknown }

export function createStdoutAction(name: string, sink: StdoutSink = process.stdout): Action {
  return {
    name,
    type: 'stdout',
    async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
      const body = ctx.message.body;
      sink.write(body.endsWith('\n') ? body : body + '\n');
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
