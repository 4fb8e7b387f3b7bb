// A YAML document that can say on which line any key path sits.

import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Document, type Node } from 'yaml';
import type { KeyPath, Problem } from './problems.js';
import { formatKeyPath } from './problems.js';

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  /** Line of the node at `path`, or of its nearest existing ancestor. */
  lineOf(path: KeyPath): number | undefined;
  /** Line of the key itself (for `key: |` blocks, the value starts one line later). */
  keyLineOf(path: KeyPath): number | undefined;
}

export function parseYamlSource(file: string, text: string): { source: YamlSource; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = [];
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  for (const e of doc.errors) {
    problems.push({ severity: 'error', file, line: lineAt(e.pos[0]), path: '', message: `YAML: ${e.message.split('\n')[0]}` });
  }
  for (const w of doc.warnings) {
    problems.push({ severity: 'warning', file, line: lineAt(w.pos[0]), path: '', message: `YAML: ${w.message.split('\n')[0]}` });
  }

  function walk(path: KeyPath): { node?: Node; keyNode?: Node } {
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
        if (!pair) return { node: node as Node };
        keyNode = pair.key as Node;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return { node: node as Node };
        keyNode = undefined;
        node = item;
      } else {
        return { node: node as Node };
      }
    }
    return { node: node as Node, keyNode };
  }

  const source: YamlSource = {
    file,
    doc,
    lineOf(path) {
      return lineAt(walk(path).node?.range?.[0]);
    },
    keyLineOf(path) {
      const w = walk(path);
      return lineAt((w.keyNode ?? w.node)?.range?.[0]);
    },
  };
  return { source, problems };
}

/** Builds problems for `path` with its line looked up in `source`. */
export function problemAt(source: YamlSource, severity: Problem['severity'], path: KeyPath, message: string): Problem {
  return { severity, file: source.file, line: source.keyLineOf(path), path: formatKeyPath(path), message };
}
