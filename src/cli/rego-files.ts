// Collects .rego (and data .json/.yaml) files from the paths given to
// build/eval/test, in a stable order.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readYamlFile } from '../config/yaml-source.js';
import { formatProblem } from '../config/problems.js';
import type { SourceModule } from '../rego/index.js';

function walk(path: string, out: string[]): void {
  const st = statSync(path);
  if (!st.isDirectory()) { out.push(path); return; }
  for (const name of readdirSync(path).sort()) {
    if (name.startsWith('.')) continue;
    walk(join(path, name), out);
  }
}

export interface LoadedFiles {
  modules: SourceModule[];
  /** Merged data documents from .json/.yaml files, placed at their directory path like OPA does for bundles (flat merge here). */
  data: Record<string, unknown>;
}

export function loadRegoFiles(paths: string[]): LoadedFiles {
  const files: string[] = [];
  for (const p of paths) walk(p, files);
  const modules: SourceModule[] = [];
  const data: Record<string, unknown> = {};
  for (const f of files) {
    if (f.endsWith('.rego')) modules.push({ file: f, source: readFileSync(f, 'utf8') });
    else if (f.endsWith('.json') || f.endsWith('.yaml') || f.endsWith('.yml')) {
      let doc: unknown;
      if (f.endsWith('.json')) doc = JSON.parse(readFileSync(f, 'utf8'));
      else {
        const read = readYamlFile(f);
        const errors = read.problems.filter((p) => p.severity === 'error');
        if (errors.length) throw new Error(errors.map(formatProblem).join('\n'));
        doc = read.value;
      }
      if (doc && typeof doc === 'object' && !Array.isArray(doc)) Object.assign(data, doc);
    }
  }
  return { modules, data };
}
