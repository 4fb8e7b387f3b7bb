// Loads conformance cases: OPA's test cases in the JSON form described in
// ../shared/conformance/README.md (one `{"cases": [...]}` file per group,
// grouped in folders by topic).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

export interface ConformanceCase {
  note: string;
  query: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_result?: Array<Record<string, unknown>>;
  sort_bindings?: boolean;
  want_error_code?: string;
  want_error?: string;
  strict_error?: boolean;
}

export interface LoadedCase extends ConformanceCase {
  /** Folder name the case file sits in (the report groups by it). */
  topic: string;
  file: string;
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.json')) out.push(p);
  }
}

/** Every case under `dir` (or in `dir` when it is a single file). */
export function loadCases(dir: string): LoadedCase[] {
  const files: string[] = [];
  if (statSync(dir).isDirectory()) walk(dir, files);
  else files.push(dir);
  const cases: LoadedCase[] = [];
  for (const file of files) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { cases?: ConformanceCase[] };
    const rel = relative(dir, file);
    // Cases directly in DIR belong to DIR's own topic (e.g. DIR is one topic folder).
    const topic = rel.includes('/') ? rel.split('/')[0]! : basename(rel === '' ? dirname(file) : dir);
    for (const c of parsed.cases ?? []) cases.push({ ...c, topic, file });
  }
  return cases;
}
