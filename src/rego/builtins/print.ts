// print / internal.print: the compile stage rewrites print(x, y) into
// internal.print([{x}, {y}]); an empty set stands for an undefined operand.

import { implementAll } from './define.js';
import type { PrintContext } from './host.js';
import { RegoSet, type BuiltinContext, type RegoValue } from './types.js';
import { formatBare, setItems } from './value.js';

function line(operands: RegoValue[]): string {
  return operands
    .map((o) => {
      if (!(o instanceof RegoSet)) return formatBare(o);
      const items = setItems(o);
      return items.length === 0 ? '<undefined>' : items.map(formatBare).join(', ');
    })
    .join(' ');
}

function emit(ctx: BuiltinContext, text: string): void {
  const sink = (ctx as PrintContext).print;
  if (sink) sink(text);
  else process.stderr.write(text + '\n');
}

implementAll({
  'internal.print': ([ops], ctx) => {
    emit(ctx, line(Array.isArray(ops) ? ops : [ops ?? null]));
    return true;
  },
  print: (args, ctx) => {
    emit(ctx, args.map(formatBare).join(' '));
    return true;
  },
  trace: ([note], ctx) => {
    emit(ctx, `Note ${typeof note === 'string' ? note : formatBare(note ?? null)}`);
    return true;
  },
});
