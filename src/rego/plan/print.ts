// A readable dump of a planned policy (`hooker build --plan`).

import type { Block, Operand, Policy, Stmt } from './ir.js';

function operand(policy: Policy, op: Operand): string {
  switch (op.type) {
    case 'local': return `$${op.local}`;
    case 'bool': return String(op.value);
    case 'string_index': return JSON.stringify(policy.static.strings[op.index] ?? `<string ${op.index}?>`);
  }
}

function str(policy: Policy, index: number): string {
  return JSON.stringify(policy.static.strings[index] ?? `<string ${index}?>`);
}

function stmtLine(policy: Policy, s: Stmt): string {
  const o = (x: Operand): string => operand(policy, x);
  switch (s.type) {
    case 'ArrayAppend': return `ArrayAppend $${s.array} <- ${o(s.value)}`;
    case 'MakeNumberInt': return `MakeNumberInt $${s.target} = ${s.value}`;
    case 'MakeNumberRef': return `MakeNumberRef $${s.target} = ${policy.static.strings[s.index] ?? '?'}`;
    case 'MakeNull': return `MakeNull $${s.target}`;
    case 'MakeArray': return `MakeArray $${s.target} (capacity ${s.capacity})`;
    case 'MakeObject': return `MakeObject $${s.target}`;
    case 'MakeSet': return `MakeSet $${s.target}`;
    case 'AssignInt': return `AssignInt $${s.target} = ${s.value}`;
    case 'AssignVar': return `AssignVar $${s.target} = ${o(s.source)}`;
    case 'AssignVarOnce': return `AssignVarOnce $${s.target} = ${o(s.source)} (else ${JSON.stringify(s.message)})`;
    case 'Block': return 'Block';
    case 'Break': return `Break ${s.index}`;
    case 'Call': return `Call $${s.result} = ${s.func}(${s.args.map(o).join(', ')})`;
    case 'Dot': return `Dot $${s.target} = ${o(s.source)}[${o(s.key)}]`;
    case 'Equal': return `Equal ${o(s.a)} ${o(s.b)}`;
    case 'NotEqual': return `NotEqual ${o(s.a)} ${o(s.b)}`;
    case 'IsArray': return `IsArray ${o(s.source)}`;
    case 'IsObject': return `IsObject ${o(s.source)}`;
    case 'IsSet': return `IsSet ${o(s.source)}`;
    case 'IsDefined': return `IsDefined $${s.source}`;
    case 'IsUndefined': return `IsUndefined $${s.source}`;
    case 'Len': return `Len $${s.target} = len(${o(s.source)})`;
    case 'Not': return 'Not';
    case 'ObjectInsert': return `ObjectInsert $${s.object}[${o(s.key)}] = ${o(s.value)}`;
    case 'ObjectInsertOnce': return `ObjectInsertOnce $${s.object}[${o(s.key)}] = ${o(s.value)} (else ${JSON.stringify(s.message)})`;
    case 'ObjectMerge': return `ObjectMerge $${s.target} = ${o(s.a)} + ${o(s.b)}`;
    case 'ResetLocal': return `ResetLocal $${s.target}`;
    case 'ResultSetAdd': return `ResultSetAdd $${s.value}`;
    case 'ReturnLocal': return `ReturnLocal $${s.source}`;
    case 'Scan': return `Scan $${s.source} (key $${s.key}, value $${s.value})`;
    case 'SetAdd': return `SetAdd $${s.set} <- ${o(s.value)}`;
    case 'With': return `With $${s.local}[${s.path.map((i) => str(policy, i)).join(', ')}] = ${o(s.value)}`;
    case 'Abort': return `Abort ${s.code}: ${JSON.stringify(s.message)}`;
    case 'Nop': return 'Nop';
  }
}

function nested(s: Stmt): Block[] {
  switch (s.type) {
    case 'Block': return s.blocks;
    case 'Scan': case 'Not': case 'With': return [s.block];
    default: return [];
  }
}

function printBlocks(policy: Policy, blocks: Block[], indent: string, out: string[]): void {
  for (const b of blocks) {
    out.push(`${indent}block`);
    for (const s of b.stmts) {
      out.push(`${indent}  ${stmtLine(policy, s)}`);
      printBlocks(policy, nested(s), `${indent}    `, out);
    }
  }
}

export function printPolicy(policy: Policy): string {
  const out: string[] = [];
  out.push('static');
  policy.static.strings.forEach((s, i) => out.push(`  string ${i} ${JSON.stringify(s)}`));
  for (const b of policy.static.builtins) out.push(`  builtin ${b.name}/${b.arity}${b.returnsSet ? ' (returns set)' : ''}`);
  for (const p of policy.plans) {
    out.push(`plan ${p.name}`);
    printBlocks(policy, p.blocks, '  ', out);
  }
  for (const f of policy.funcs) {
    out.push(`func ${f.name} (${f.params.map((l) => `$${l}`).join(', ')}) -> $${f.result}`);
    printBlocks(policy, f.blocks, '  ', out);
  }
  return out.join('\n') + '\n';
}
