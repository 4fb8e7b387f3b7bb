// The one YAML reader of Hooker (cfg.yaml, threshold files, data files of
// `hooker build/eval/test`): a document that can say on which line any key
// path sits, and problems with file:line for YAML errors.

import { readFileSync } from 'node:fs';
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

/** Aliases a document may expand (a "billion laughs" document stops here instead of exhausting memory). */
export const MAX_YAML_ALIASES = 100;

/** The document's value as plain JavaScript, or a problem at its first line. */
export function yamlValue(source: YamlSource): { value?: unknown; problems: Problem[] } {
  try {
    return { value: source.doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown, problems: [] };
  } catch (e) {
    return { problems: [{ severity: 'error', file: source.file, line: 1, path: '', message: `YAML: ${(e as Error).message}` }] };
  }
}

/** Reads and parses a YAML file; `value` is undefined when it has errors. */
export function readYamlFile(file: string): { value?: unknown; source?: YamlSource; problems: Problem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { problems: [{ severity: 'error', file, path: '', message: `cannot read ${file}: ${(e as Error).message}` }] };
  }
  const { source, problems } = parseYamlSource(file, text);
  if (problems.some((p) => p.severity === 'error')) return { source, problems };
  const v = yamlValue(source);
  return { value: v.value, source, problems: [...problems, ...v.problems] };
}
