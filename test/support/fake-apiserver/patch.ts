// The three patch formats the apiserver accepts for built-in types.

import { StatusError, statusErrors } from './status.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

/** RFC 7386. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// Merge keys of the list fields we touch (from the types' patchMergeKey tags).
const MERGE_KEYS: Record<string, string> = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', volumes: 'name', env: 'name',
  volumeMounts: 'mountPath', ports: 'containerPort', ownerReferences: 'uid', imagePullSecrets: 'name',
  tolerations: 'key', conditions: 'type',
};

/** Strategic merge patch: merge patch, except lists with a merge key merge element-wise and `$patch` directives. */
export function strategicMergePatch(target: Json, patch: Json, field = ''): Json {
  if (!isObject(patch)) {
    if (Array.isArray(patch) && Array.isArray(target) && MERGE_KEYS[field]) return mergeList(target, patch, MERGE_KEYS[field], field);
    return clone(patch);
  }
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (k.startsWith('$')) throw statusErrors.badRequest(`unsupported strategic merge patch directive ${k}`);
    if (v === null) delete out[k];
    else {
      const merged = strategicMergePatch(out[k], v, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  return out;
}

function mergeList(target: Json[], patch: Json[], key: string, field: string): Json[] {
  const out = target.map(clone);
  for (const item of patch) {
    if (!isObject(item) || !(key in item)) throw statusErrors.badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const idx = out.findIndex((o) => isObject(o) && o[key] === item[key]);
    if (item.$patch === 'delete') { if (idx >= 0) out.splice(idx, 1); continue; }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item, field);
    else out.push(strategicMergePatch(undefined, item, field));
  }
  return out;
}

/** RFC 6902 with RFC 6901 pointers. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw statusErrors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = clone(target);
  for (const op of ops) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw statusErrors.badRequest('invalid JSON patch operation');
    const path = op.path;
    switch (op.op) {
      case 'add': doc = setAt(doc, path, clone(op.value), 'add'); break;
      case 'replace': getAt(doc, path); doc = setAt(doc, path, clone(op.value), 'replace'); break;
      case 'remove': doc = removeAt(doc, path); break;
      case 'move': { const v = getAt(doc, String(op.from)); doc = removeAt(doc, String(op.from)); doc = setAt(doc, path, v, 'add'); break; }
      case 'copy': doc = setAt(doc, path, clone(getAt(doc, String(op.from))), 'add'); break;
      case 'test': if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op.value)) throw invalidPatch(`testing value ${path} failed: test failed`); break;
      default: throw statusErrors.badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

function invalidPatch(msg: string): StatusError {
  const e = statusErrors.badRequest(msg);
  return new StatusError({ ...e.status, code: 422, reason: 'Invalid', message: `the server rejected our request due to an error in our request: ${msg}` });
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw statusErrors.badRequest(`JSON pointer must start with '/': ${path}`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: Json, path: string): Json {
  let cur = doc;
  for (const seg of pointer(path)) {
    if (Array.isArray(cur) && /^\d+$/.test(seg) && Number(seg) < cur.length) cur = cur[Number(seg)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, seg)) cur = cur[seg];
    else throw invalidPatch(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function parentOf(doc: Json, path: string): { parent: Json; last: string } {
  const segs = pointer(path);
  if (segs.length === 0) throw invalidPatch('cannot operate on the document root');
  const last = segs.pop()!;
  const parentPath = segs.length ? '/' + segs.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/') : '';
  return { parent: getAt(doc, parentPath), last };
}

function setAt(doc: Json, path: string, value: Json, mode: 'add' | 'replace'): Json {
  if (path === '') return value;
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const idx = last === '-' ? parent.length : Number(last);
    if (!/^(\d+|-)$/.test(last) || idx > parent.length || (mode === 'replace' && idx >= parent.length)) throw invalidPatch(`add operation does not apply: doc is missing path: "${path}"`);
    if (mode === 'add') parent.splice(idx, 0, value);
    else parent[idx] = value;
  } else if (isObject(parent)) parent[last] = value;
  else throw invalidPatch(`doc is missing path: "${path}"`);
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  getAt(doc, path);
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return doc;
}
