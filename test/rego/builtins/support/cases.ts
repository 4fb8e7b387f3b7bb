// Running OPA's conformance cases for one topic against the TypeScript
// builtins through the test-only interpreter in mini-rego.ts.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import '../../../../src/rego/builtins/index.js';
import type { RegoValue } from '../../../../src/rego/builtins/types.js';
import { equal, fromJson, sortValues, toJson } from '../../../../src/rego/builtins/value.js';
import { CaseError, load, parseTerm, query, Unsupported } from './mini-rego.js';

export const CONFORMANCE_DIR = resolve(import.meta.dirname, '../../../../../shared/conformance');

export interface Case {
  note: string;
  query: string;
  modules: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_result?: Array<Record<string, unknown>>;
  want_error?: string;
  want_error_code?: string;
  sort_bindings?: boolean;
}

export function loadTopic(topic: string): Case[] {
  const dir = join(CONFORMANCE_DIR, topic);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { cases: Case[] }).cases);
}

export type Outcome = { status: 'pass' } | { status: 'fail'; detail: string } | { status: 'skip'; detail: string };

/** Fixed clock for cases: 2024-05-31T23:46:40Z (every certificate in the cases is valid then). */
export const NOW_NS = 1_717_199_200_000_000_000n;

function normalize(v: RegoValue, sortArrays: boolean): RegoValue {
  const j = fromJson(toJson(v));
  if (!sortArrays) return j;
  const sortDeep = (x: RegoValue): RegoValue => (Array.isArray(x) ? sortValues(x.map(sortDeep)) : x);
  return sortDeep(j);
}

export function runCase(c: Case, nowNs = NOW_NS): Outcome {
  const m = /^(data(?:\.[A-Za-z_][A-Za-z0-9_]*)+) = x$/.exec(c.query);
  if (!m) return { status: 'skip', detail: `query shape ${c.query}` };
  let got: RegoValue | undefined;
  try {
    let input: RegoValue | undefined = c.input === undefined ? undefined : fromJson(c.input);
    if (c.input_term !== undefined) {
      const p = load(['package __input\nv := ' + c.input_term], undefined, {}, nowNs);
      input = query(p, 'data.__input.v');
    }
    const prog = load(c.modules, input, fromJson(c.data ?? {}), nowNs);
    got = query(prog, m[1]!);
  } catch (e) {
    if (e instanceof Unsupported) return { status: 'skip', detail: e.message };
    if (!(e instanceof CaseError)) return { status: 'fail', detail: `crashed: ${(e as Error).stack}` };
    if (c.want_error === undefined) return { status: 'fail', detail: `unexpected error ${e.message}` };
    if (!e.message.includes(c.want_error) && !c.want_error.includes(e.error.message))
      return { status: 'fail', detail: `error ${JSON.stringify(e.message)}, want ${JSON.stringify(c.want_error)}` };
    if (c.want_error_code && c.want_error_code !== e.code) return { status: 'fail', detail: `error code ${e.code}, want ${c.want_error_code}` };
    return { status: 'pass' };
  }
  if (c.want_error !== undefined) return { status: 'fail', detail: `no error, want ${c.want_error}; got ${JSON.stringify(got === undefined ? undefined : toJson(got))}` };
  const want = c.want_result ?? [];
  if (want.length === 0) return got === undefined ? { status: 'pass' } : { status: 'fail', detail: `got ${JSON.stringify(toJson(got))}, want undefined` };
  if (got === undefined) return { status: 'fail', detail: 'undefined' };
  const sort = c.sort_bindings === true;
  const a = normalize(got, sort);
  const b = normalize(fromJson(want[0]!.x), sort);
  if (equal(a, b)) return { status: 'pass' };
  return { status: 'fail', detail: `got ${JSON.stringify(toJson(a)).slice(0, 2000)}\nwant ${JSON.stringify(toJson(b)).slice(0, 2000)}` };
}

export { parseTerm };
