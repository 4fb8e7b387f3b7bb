// METADATA blocks: a comment `# METADATA` followed by comment lines on the
// next rows, all in column 1, holding a YAML document (OPA's annotations
// reference). This module reads the blocks out of the lexer's comments and
// decodes their YAML; annotation-scope.ts attaches them to statements.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { RegoProblem } from '../errors.js';
import type {
  Annotation,
  AnnotationScope,
  AuthorAnnotation,
  JsonValue,
  Location,
  RelatedResourceAnnotation,
  SchemaAnnotation,
} from './ast.js';
import type { Comment } from './lexer.js';

/** A decoded block; `scope` is undefined when the YAML does not set it (the attached statement decides). */
export type ParsedAnnotation = Omit<Annotation, 'scope'> & { scope?: AnnotationScope };

const SCOPES: ReadonlySet<string> = new Set(['rule', 'document', 'package', 'subpackages']);

/** Groups comments into METADATA blocks (the `# METADATA` line first). */
export function metadataBlocks(comments: Comment[]): Comment[][] {
  const blocks: Comment[][] = [];
  let current: Comment[] | undefined;
  for (let i = 0; i < comments.length; i++) {
    const c = comments[i]!;
    if (current) {
      const prev = comments[i - 1]!;
      if (c.loc.row === prev.loc.row + 1 && c.loc.col === 1) {
        current.push(c);
        continue;
      }
      current = undefined;
    }
    if (c.text.trim().startsWith('METADATA')) {
      current = [c];
      blocks.push(current);
    }
  }
  return blocks;
}

class AnnotationError extends Error {
  constructor(message: string, readonly loc?: Location) {
    super(message);
  }
}

/** Decodes one block; a malformed block yields a rego_parse_error at the offending line. */
export function parseAnnotationBlock(block: Comment[]): ParsedAnnotation | RegoProblem {
  const head = block[0]!;
  try {
    return decode(block);
  } catch (e) {
    if (!(e instanceof AnnotationError)) throw e;
    return { code: 'rego_parse_error', message: e.message, loc: e.loc ?? head.loc };
  }
}

function decode(block: Comment[]): ParsedAnnotation {
  const head = block[0]!;
  // Lines keep their indentation minus the one space conventionally written after `#`.
  const text = block.slice(1).map((c) => `${c.text.startsWith(' ') ? c.text.slice(1) : c.text}\n`).join('');
  if (text.trim() === '') throw new AnnotationError('expected METADATA block, found whitespace', head.loc);
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  const err = doc.errors[0];
  if (err) {
    // YAML line n is comment n of the block (comment 0 is the `# METADATA` line).
    const line = lines.linePos(err.pos[0]).line;
    const at = block[Math.min(line, block.length - 1)]!;
    const reason = err.message.split('\n')[0]!;
    throw new AnnotationError(`yaml: line ${line}: ${reason}`, at.loc);
  }
  const root = doc.contents;
  if (root !== null && !isMap(root)) throw fieldError(block, root, 'cannot unmarshal into annotations (expected a mapping)');
  const out: ParsedAnnotation = { loc: head.loc };
  for (const pair of root?.items ?? []) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const value = (pair.value ?? null) as YamlNode | null;
    switch (key) {
      case 'scope': {
        const scope = str(block, value, 'scope');
        if (scope === '') break;
        if (!SCOPES.has(scope)) {
          throw new AnnotationError(`invalid annotation scope '${scope}'. Use one of 'rule', 'document', 'package', or 'subpackages'`, head.loc);
        }
        out.scope = scope as AnnotationScope;
        break;
      }
      case 'title': setIf(out, 'title', str(block, value, key)); break;
      case 'description': setIf(out, 'description', str(block, value, key)); break;
      case 'entrypoint': {
        if (value === null || (isScalar(value) && value.value === null)) break;
        if (!isScalar(value) || typeof value.value !== 'boolean') throw fieldError(block, value, 'cannot unmarshal into bool (entrypoint)');
        if (value.value) out.entrypoint = true;
        break;
      }
      case 'organizations': {
        const orgs = seq(block, value, key).map((v) => str(block, v, key));
        if (orgs.length) out.organizations = orgs;
        break;
      }
      case 'related_resources': {
        const rrs = seq(block, value, key).map((v) => relatedResource(block, v));
        if (rrs.length) out.relatedResources = rrs;
        break;
      }
      case 'authors': {
        const authors = seq(block, value, key).map((v) => author(block, v));
        if (authors.length) out.authors = authors;
        break;
      }
      case 'schemas': {
        const schemas = seq(block, value, key).map((v) => schema(block, v));
        if (schemas.length) out.schemas = schemas;
        break;
      }
      case 'custom': {
        if (value === null || (isScalar(value) && value.value === null)) break;
        if (!isMap(value)) throw fieldError(block, value, 'cannot unmarshal into map (custom)');
        const custom = toJson(value) as { [key: string]: JsonValue };
        if (Object.keys(custom).length) out.custom = custom;
        break;
      }
      default:
        // Unknown keys are ignored, as OPA's YAML decoding does.
        break;
    }
  }
  return out;
}

function setIf<K extends 'title' | 'description'>(out: ParsedAnnotation, key: K, value: string): void {
  if (value !== '') out[key] = value;
}

/** The comment holding a YAML node (for error locations). */
function nodeLoc(block: Comment[], node: YamlNode | null): Location {
  const offset = node?.range?.[0];
  if (offset === undefined) return block[0]!.loc;
  let consumed = 0;
  for (let i = 1; i < block.length; i++) {
    const c = block[i]!;
    consumed += (c.text.startsWith(' ') ? c.text.length - 1 : c.text.length) + 1;
    if (offset < consumed) return c.loc;
  }
  return block[block.length - 1]!.loc;
}

function fieldError(block: Comment[], node: YamlNode | null, message: string): AnnotationError {
  return new AnnotationError(`yaml: unmarshal errors: ${message}`, nodeLoc(block, node));
}

/** A scalar as the string Go's YAML decoder would store (its text); null is empty. */
function str(block: Comment[], node: YamlNode | null, field: string): string {
  if (node === null) return '';
  if (!isScalar(node)) throw fieldError(block, node, `cannot unmarshal into string (${field})`);
  if (node.value === null) return '';
  if (typeof node.value === 'string') return node.value;
  return node.source ?? String(node.value);
}

function seq(block: Comment[], node: YamlNode | null, field: string): Array<YamlNode | null> {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) throw fieldError(block, node, `cannot unmarshal into list (${field})`);
  return node.items as Array<YamlNode | null>;
}

function toJson(node: YamlNode | null): JsonValue {
  if (node === null) return null;
  const v: unknown = node.toJSON();
  return normalizeJson(v);
}

/** YAML values as JSON: non-string map keys become their text, non-finite numbers strings. */
function normalizeJson(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(normalizeJson);
  if (v instanceof Map) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, x] of v) out[String(k)] = normalizeJson(x);
    return out;
  }
  if (v instanceof Set) return [...v].map(normalizeJson);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = normalizeJson(x);
    return out;
  }
  return String(v);
}

function mapString(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value.trim() : '';
}

function relatedResource(block: Comment[], node: YamlNode | null): RelatedResourceAnnotation {
  const v = toJson(node);
  if (typeof v === 'string') {
    if (v === '') throw new AnnotationError('invalid related-resource definition: ref URL may not be empty string', nodeLoc(block, node));
    return { ref: v };
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const ref = mapString(v.ref);
    const description = mapString(v.description);
    if (ref === '') throw new AnnotationError(`invalid related-resource definition: 'ref' value required in object`, nodeLoc(block, node));
    return description ? { ref, description } : { ref };
  }
  throw new AnnotationError('invalid related-resource definition: invalid value type, must be string or map', nodeLoc(block, node));
}

/** `Jane Doe <jane@example.com>` or {name, email}. */
function author(block: Comment[], node: YamlNode | null): AuthorAnnotation {
  const v = toJson(node);
  if (typeof v === 'string') {
    const parts = v.split(/\s+/).filter((p) => p !== '');
    if (parts.length === 0) throw new AnnotationError('invalid author definition: author is an empty string', nodeLoc(block, node));
    const last = parts[parts.length - 1]!;
    let email = '';
    if (last.length >= 2 && last.startsWith('<') && last.endsWith('>')) {
      email = last.slice(1, -1);
      parts.pop();
    }
    const name = parts.join(' ');
    return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const name = mapString(v.name);
    const email = mapString(v.email);
    if (!name && !email) throw new AnnotationError(`invalid author definition: 'name' and/or 'email' values required in object`, nodeLoc(block, node));
    return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
  }
  throw new AnnotationError('invalid author definition: invalid value type, must be string or map', nodeLoc(block, node));
}

/** `- input: schema.input` or `- input.x: {definition...}`. */
function schema(block: Comment[], node: YamlNode | null): SchemaAnnotation {
  if (!isMap(node) || node.items.length !== 1) throw new AnnotationError('invalid schema declaration: expected a single-key mapping', nodeLoc(block, node));
  const pair = node.items[0]!;
  const key = isScalar(pair.key) ? String(pair.key.value) : '';
  const path = refSegments(key);
  if (!path) throw new AnnotationError('invalid document reference', nodeLoc(block, node));
  const value = (pair.value ?? null) as YamlNode | null;
  if (isScalar(value) && typeof value.value === 'string') {
    const ref = refSegments(value.value);
    if (!ref || ref[0] !== 'schema') throw new AnnotationError(`invalid schema reference: ${value.value}`, nodeLoc(block, value));
    return { path, schema: ref };
  }
  if (isMap(value)) return { path, definition: toJson(value) };
  throw new AnnotationError(`invalid schema declaration for path "${key}"`, nodeLoc(block, node));
}

/** `a.b["c.d"]` as ["a", "b", "c.d"]; undefined when it is not a ground ref. */
function refSegments(text: string): string[] | undefined {
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.trim());
  if (!m) return undefined;
  const out = [m[0]];
  let rest = text.trim().slice(m[0].length);
  while (rest !== '') {
    const dot = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    const bracket = dot ? null : /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest);
    const found = dot ?? bracket;
    if (!found) return undefined;
    out.push(dot ? dot[1]! : (JSON.parse(`"${bracket![1]!}"`) as string));
    rest = rest.slice(found[0].length);
  }
  return out;
}
