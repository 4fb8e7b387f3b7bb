// hooker eval [-d FILE|DIR]... [-b BUNDLE]... [-i input.json] [--v0] [--format json|pretty] 'QUERY'
// Output shaped like `opa eval -f json`: {"result":[{"expressions":[...],"bindings":{...}}]},
// `{}` when the query is undefined.

import { readFileSync } from 'node:fs';
import { compile, loadPolicy } from '../rego/index.js';
import { parseQuery } from '../rego/syntax/parser.js';
import type { Body, Expr } from '../rego/syntax/ast.js';
import { LOADER_VALUES, loadRegoInputs } from './rego-files.js';
import { parseArgs, UsageError } from './args.js';

// A name the compile stage reports as a binding (it hides vars starting with _ or $).
const EXPR_VAR = 'hooker_expr__';

/** Source text of each top-level expression, for the `text` field. */
function exprTexts(query: string, body: Body): string[] {
  const lines = query.split('\n');
  const offsetOf = (e: Expr) => lines.slice(0, e.loc.row - 1).reduce((n, l) => n + l.length + 1, 0) + e.loc.col - 1;
  return body.map((e, i) => {
    const start = offsetOf(e);
    const next = body[i + 1];
    const end = next ? offsetOf(next) : query.length;
    return query.slice(start, end).replace(/[;\s]+$/, '').trim();
  });
}

/** Binds the value of each plain-term expression to a var so the output can report it. */
function instrument(body: Body): Body {
  return body.map((e, i) => {
    if (e.kind.type !== 'term' || e.negated) return e;
    const loc = e.loc;
    return {
      ...e,
      kind: {
        type: 'call',
        operator: { type: 'ref', terms: [{ type: 'var', name: 'eq', loc }], loc },
        args: [{ type: 'var', name: `${EXPR_VAR}${i}`, loc }, e.kind.term],
      },
    } satisfies Expr;
  });
}

export async function runEval(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: { '-d': 'data', '--data': 'data', '-b': 'bundle', '--bundle': 'bundle', '-i': 'input', '--input': 'input', '-f': 'format', '--format': 'format', ...LOADER_VALUES },
    booleans: { '--v0': 'v0', '--strict-builtin-errors': 'strict' },
  });
  const query = args.positionals[0];
  if (!query || args.positionals.length > 1) throw new UsageError('usage: hooker eval [-d FILE|DIR]... [-b BUNDLE]... [-i input.json] [--v0] [--format json|pretty] [--ignore PATTERN] [--capabilities FILE] [--builtins MODULE.mjs] QUERY');
  const format = args.values.get('format')?.[0] ?? 'json';
  if (format !== 'json' && format !== 'pretty') throw new UsageError(`unknown format ${format} (json or pretty)`);
  const regoVersion = args.booleans.has('v0') ? 'v0' : 'v1';
  const { modules, data } = await loadRegoInputs(args, { paths: args.values.get('data') ?? [], bundles: args.values.get('bundle') ?? [] });
  const inputPath = args.values.get('input')?.[0];
  const input = inputPath ? JSON.parse(readFileSync(inputPath, 'utf8')) as unknown : undefined;

  const body = parseQuery(query, 'query', { regoVersion });
  const texts = exprTexts(query, body);
  const { wasm } = compile({ modules, entrypoints: [], queries: [{ name: 'eval', query: instrument(body) }], regoVersion });
  const policy = await loadPolicy(wasm, { strictBuiltinErrors: args.booleans.has('strict') });
  policy.setData(data);
  const results = policy.evaluate(input, 'eval');

  const out = results.length === 0 ? {} : {
    result: results.map((r) => {
      const bindings: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) if (!k.startsWith(EXPR_VAR)) bindings[k] = v;
      const expressions = body.map((e, i) => ({
        value: e.kind.type === 'term' && !e.negated ? r[`${EXPR_VAR}${i}`] : true,
        text: texts[i],
        location: { row: e.loc.row, col: e.loc.col },
      }));
      return Object.keys(bindings).length ? { expressions, bindings } : { expressions };
    }),
  };
  if (format === 'json') console.log(JSON.stringify(out, null, 2));
  else if (results.length === 0) console.log('undefined');
  else for (const r of out.result ?? []) console.log(JSON.stringify(r.bindings ?? r.expressions.map((e) => e.value)[0], null, 2));
  return 0;
}
