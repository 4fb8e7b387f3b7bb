// Small readers for an action's cfg.yaml keys that turn bad values into
// ConfigProblems (the factory's `create` never throws for user errors).

import type { ConfigProblem } from './types.js';
import { parseDuration } from '../config/duration.js';

export class ActionConfigReader {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly config: Record<string, unknown>) {}

  string(key: string, required = false): string | undefined {
    const v = this.config[key];
    if (v === undefined || v === null || v === '') {
      if (required) this.problems.push({ path: key, message: `"${key}" is required` });
      return undefined;
    }
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    this.problems.push({ path: key, message: `"${key}" must be a string` });
    return undefined;
  }

  /** Milliseconds; `fallbackMs` when absent. */
  timeout(key: string, fallbackMs: number): number {
    const v = this.config[key];
    if (v === undefined || v === null || v === '') return fallbackMs;
    const d = parseDuration(v);
    if ('error' in d) { this.problems.push({ path: key, message: d.error }); return fallbackMs; }
    if (d.ms <= 0) { this.problems.push({ path: key, message: `"${key}" must be greater than zero` }); return fallbackMs; }
    return d.ms;
  }

  stringList(key: string): string[] {
    const v = this.config[key];
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    this.problems.push({ path: key, message: `"${key}" must be a list of strings` });
    return [];
  }

  /** A mapping of header name to a string or list of strings (Postee writes lists). */
  headers(key: string): Array<[string, string]> {
    const v = this.config[key];
    if (v === undefined || v === null) return [];
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.problems.push({ path: key, message: `"${key}" must be a mapping of header name to value(s)` });
      return [];
    }
    const out: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(v as Record<string, unknown>)) {
      const values = Array.isArray(value) ? value : [value];
      for (const item of values) {
        if (typeof item === 'string' || typeof item === 'number') out.push([name, String(item)]);
        else this.problems.push({ path: `${key}.${name}`, message: 'header values must be strings' });
      }
    }
    return out;
  }

  url(key: string, required: boolean): string | undefined {
    const v = this.string(key, required);
    if (v === undefined) return undefined;
    // URLs may carry event.input references that are only known per event.
    const probe = v.replace(/event\.input[^/?#&]*/g, 'x');
    try {
      const u = new URL(probe);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      this.problems.push({ path: key, message: `"${v}" is not an http(s) URL` });
      return undefined;
    }
    return v;
  }
}
