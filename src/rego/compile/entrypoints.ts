// Entrypoints must name something the policy defines: a package, a rule
// set, or a document under a rule set (e.g. a key of a partial object).

import type { DocNode } from './types.js';

export function entrypointWarnings(root: DocNode, entrypoints: string[][]): string[] {
  const warnings: string[] = [];
  for (const path of entrypoints) {
    let node: DocNode | undefined = root;
    for (const key of path) {
      if (node.ruleSet) break;
      node = node.children.get(key);
      if (!node) break;
    }
    if (!node) warnings.push(`entrypoint "${path.join('/')}" does not refer to any rule or package`);
  }
  return warnings;
}
