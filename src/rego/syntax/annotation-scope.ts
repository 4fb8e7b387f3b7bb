// Attaches METADATA blocks to the statement that follows them and fills in
// the default scope, following OPA's rules: a block belongs to the first
// statement starting on a later row; before a rule it defaults to `rule`
// (`document` with `entrypoint: true`), before the package to `package`.
// Rules take `rule`/`document`, the package `package`/`subpackages`.

import type { RegoProblem } from '../errors.js';
import type { Annotation, Location, Module, Rule } from './ast.js';
import { metadataBlocks, parseAnnotationBlock, type ParsedAnnotation } from './annotations.js';
import type { Comment } from './lexer.js';

type Statement =
  | { kind: 'package'; loc: Location }
  | { kind: 'import'; loc: Location }
  | { kind: 'rule'; loc: Location; rule: Rule };

function statements(module: Module): Statement[] {
  const out: Statement[] = [];
  if (module.package.path.length) out.push({ kind: 'package', loc: module.package.loc });
  for (const i of module.imports) out.push({ kind: 'import', loc: i.loc });
  for (const rule of module.rules) out.push({ kind: 'rule', loc: rule.loc, rule });
  return out.sort((a, b) => a.loc.row - b.loc.row || a.loc.col - b.loc.col);
}

function scopeError(a: ParsedAnnotation, scope: string, want: string, have?: string): RegoProblem {
  const suffix = have ? ` (have ${have})` : '';
  return { code: 'rego_parse_error', message: `annotation scope '${scope}' must be applied to ${want}${suffix}`, loc: a.loc };
}

/** Reads the module's METADATA blocks from `comments` and records them on the module, its package and rules. */
export function attachAnnotations(module: Module, comments: Comment[], problems: RegoProblem[]): void {
  const blocks = metadataBlocks(comments);
  if (blocks.length === 0) return;
  const stmts = statements(module);
  const all: Annotation[] = [];
  for (const block of blocks) {
    const parsed = parseAnnotationBlock(block);
    if ('code' in parsed) {
      problems.push(parsed);
      continue;
    }
    const node = stmts.find((s) => s.loc.row > parsed.loc.row);
    let scope = parsed.scope;
    if (node?.kind === 'rule') {
      scope ??= parsed.entrypoint ? 'document' : 'rule';
      if (scope !== 'rule' && scope !== 'document') {
        problems.push(scopeError(parsed, scope, 'package', 'rule'));
        continue;
      }
    } else if (node?.kind === 'package') {
      scope ??= 'package';
      if (scope !== 'package' && scope !== 'subpackages') {
        problems.push(scopeError(parsed, scope, 'rule', 'package'));
        continue;
      }
    } else {
      problems.push(scopeError(parsed, scope ?? node?.kind ?? '', 'package', node?.kind));
      continue;
    }
    if (parsed.entrypoint && scope !== 'document' && scope !== 'package') {
      problems.push({ code: 'rego_parse_error', message: `annotation entrypoint applied to non-document or package scope '${scope}'`, loc: parsed.loc });
      continue;
    }
    const annotation: Annotation = { ...parsed, scope };
    all.push(annotation);
    const owner = node.kind === 'rule' ? node.rule : module.package;
    (owner.annotations ??= []).push(annotation);
  }
  if (all.length) module.annotations = all;
}
