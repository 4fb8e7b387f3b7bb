import { loadTopic } from './test/rego/builtins/support/cases.js';
import './src/rego/builtins/index.js';
import { lookupBuiltin } from './src/rego/builtins/registry.js';
for (const c of loadTopic('graphql')) {
  if (!/schema_is_valid|deprecating|fragment defined/.test(c.note)) continue;
  const m = /schema := `([^`]*)`/.exec(c.modules[0]!) ?? /gql := `([^`]*)`/.exec(c.modules[0]!);
  if (!m) continue;
  const name = c.note.includes('parse_query') ? 'graphql.parse_query' : 'graphql.parse_schema';
  let msg = 'ok';
  try {
    const gq = await import('graphql');
    if (name === 'graphql.parse_schema') { const s = gq.buildASTSchema(gq.parse(m[1]!)); const e = gq.validateSchema(s); msg = e.map(x => x.message).join('; ') || 'valid'; }
    else lookupBuiltin(name)!.impl!([m[1]!], { nowNs: 0n, cache: new Map() });
  } catch (e) { msg = (e as Error).message; }
  console.log(c.note, c.want_result?.[0]?.x, '=>', msg.slice(0, 200));
}
