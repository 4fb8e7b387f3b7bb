// Small readers for an action's cfg.yaml keys that turn bad values into
// ConfigProblems (the factory's `create` never throws for user errors).

import { readFileSync } from 'node:fs';
import type { ConfigProblem } from './types.js';
import { parseDuration } from '../config/duration.js';

export interface ReaderOptions {
  /** Keys holding secrets: each may come from `<key>-file` instead. */
  secrets?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** Path segments and query values of a secret URL this long are tokens (Slack, Discord, Teams ids are longer). */
const SECRET_URL_PART_MIN = 12;

export class ActionConfigReader {
  readonly problems: ConfigProblem[] = [];
  private readonly secretsRead: string[] = [];
  constructor(readonly config: Record<string, unknown>, private readonly opts: ReaderOptions = {}) {}

  /** The action's `name:`. */
  get name(): string {
    return String(this.config['name'] ?? '');
  }

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** True when the key is present with a non-empty value. */
  has(key: string): boolean {
    const v = this.config[key];
    return v !== undefined && v !== null && v !== '';
  }

  /**
   * A secret: the key's value (cfg.yaml's `$NAME` substitution already gave
   * the environment's value, or the content of the file NAME_FILE names), or
   * the content of the file `<key>-file` names. Never echoed in problems.
   */
  secret(key: string, required = false): string | undefined {
    const fileKey = `${key}-file`;
    let value = this.string(key);
    if (this.has(fileKey)) {
      const file = this.string(fileKey);
      if (value !== undefined) { this.problem(fileKey, `give either ${key} or ${fileKey}, not both`); return undefined; }
      if (file !== undefined) {
        try { value = readFileSync(file, 'utf8').replace(/\r?\n$/, ''); } catch (e) {
          this.problem(fileKey, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          return undefined;
        }
      }
    }
    if (value === undefined || value === '') {
      if (required) this.problem(key, `"${key}" is required (or ${fileKey}: a file holding it)`);
      return undefined;
    }
    this.secretsRead.push(value);
    return value;
  }

  /** Secret values read so far (to scrub from what the action reports). */
  secretValues(): string[] {
    return [...this.secretsRead];
  }

  /** A URL that is itself a credential (Slack, Teams, Discord webhooks): read as a secret, checked as a URL. */
  secretUrl(key: string, required: boolean): string | undefined {
    const v = this.secret(key, required);
    if (v === undefined) return undefined;
    if (!isHttpUrl(v)) { this.problem(key, `"${key}" is not an http(s) URL`); return undefined; }
    // A service may quote part of the URL back (its token segment): scrub the parts too.
    const u = new URL(v);
    const parts = [...u.pathname.split('/'), ...[...u.searchParams.values()], u.password].filter((p) => p.length >= SECRET_URL_PART_MIN);
    this.secretsRead.push(...parts);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.config[key];
    if (v === undefined || v === null || v === '') return fallback;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
    this.problem(key, `"${key}" must be true or false`);
    return fallback;
  }

  int(key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.config[key];
    if (v === undefined || v === null || v === '') return fallback;
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
    this.problem(key, `"${key}" must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
    return fallback;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(key);
    if (v === undefined) return fallback;
    const found = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (found === undefined) { this.problem(key, `"${key}" must be one of ${allowed.join(', ')}, got "${v}"`); return fallback; }
    return found;
  }

  /** A mapping of name to scalar value (e.g. Jira custom fields, labels). */
  stringMap(key: string): Record<string, string> {
    const v = this.config[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) { this.problem(key, `"${key}" must be a mapping of name to value`); return {}; }
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
      else this.problem(`${key}.${k}`, 'must be a string');
    }
    return out;
  }

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
    if (!isHttpUrl(probe)) {
      this.problems.push({ path: key, message: `"${v}" is not an http(s) URL` });
      return undefined;
    }
    return v;
  }
}

export function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
