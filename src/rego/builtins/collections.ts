// Objects and sets: object.*, json.filter/remove/patch, union,
// intersection, set_diff and walk.

import { implementAll } from './define.js';
import { arrArg, objArg, operandError, setArg, typeError } from './operands.js';
import { RegoObject, RegoSet, type RegoValue } from './types.js';
import {
  collectionItems,
  equal,
  getMember,
  isObject,
  makeObject,
  makeSet,
  objectEntries,
  objectGet,
  setHas,
  setItems,
  sortedEntries,
  type PlainObject,
} from './value.js';

type Obj = PlainObject | RegoObject;

// ---------------------------------------------------------------- object.*

/** Keys named by a set, an array or an object's keys (object.remove / object.filter). */
function keyList(v: RegoValue): RegoValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.items;
  if (isObject(v)) return objectEntries(v).map(([k]) => k);
  throw operandError(2, ['object', 'set', 'array'], v);
}

function unionObjects(a: Obj, b: Obj): Obj {
  const out: Array<[RegoValue, RegoValue]> = [...objectEntries(a)];
  for (const [k, v] of objectEntries(b)) {
    const i = out.findIndex(([x]) => equal(x, k));
    if (i < 0) out.push([k, v]);
    else {
      const prev = out[i]![1];
      out[i] = [k, isObject(prev) && isObject(v) ? unionObjects(prev, v) : v];
    }
  }
  return makeObject(out);
}

/** Is `sub` contained in `sup` (object.subset): recursive for objects, membership for sets, contiguous run for arrays. */
function isSubset(sup: RegoValue, sub: RegoValue): boolean {
  if (isObject(sup) && isObject(sub)) {
    return objectEntries(sub).every(([k, v]) => {
      const w = objectGet(sup, k);
      return w !== undefined && isSubset(w, v);
    });
  }
  if (sup instanceof RegoSet && sub instanceof RegoSet) return sub.items.every((x) => setHas(sup, x));
  if (Array.isArray(sup) && sub instanceof RegoSet) return sub.items.every((x) => sup.some((y) => equal(x, y)));
  if (Array.isArray(sup) && Array.isArray(sub)) {
    if (sub.length === 0) return true;
    for (let i = 0; i + sub.length <= sup.length; i++) {
      if (sub.every((x, j) => equal(sup[i + j]!, x))) return true;
    }
    return false;
  }
  return equal(sup, sub);
}

function subsetOperand(pos: number, v: RegoValue): RegoValue {
  if (isObject(v) || Array.isArray(v) || v instanceof RegoSet) return v;
  throw operandError(pos, ['object', 'array', 'set'], v);
}

// ---------------------------------------------------------------- paths

/** json.filter/json.remove path: "a/b/c" (JSON pointer escapes) or an array of segments. */
function parsePath(p: RegoValue): RegoValue[] {
  if (typeof p === 'string') {
    const trimmed = p.replace(/^\/+|\/+$/g, '');
    if (trimmed === '') return [];
    return trimmed.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  if (Array.isArray(p)) return p;
  throw typeError(`operand 2 must be one of {set, array} containing string paths or array of path segments but got ${typeNameOf(p)}`);
}

function typeNameOf(v: RegoValue): string {
  return collectionItems(v) ? (Array.isArray(v) ? 'array' : 'set') : isObject(v) ? 'object' : v === null ? 'null' : typeof v;
}

/** Segment `seg` addresses which element of `coll`? Strings address array indices by their digits. */
function segMatches(key: RegoValue, seg: RegoValue, inArray: boolean): boolean {
  if (inArray && typeof seg === 'string' && /^\d+$/.test(seg)) return key === Number(seg);
  return equal(key, seg);
}

interface PathNode {
  children: Array<[RegoValue, PathNode]>;
  /** A whole path ends here: everything below is selected. */
  end: boolean;
}

function pathTree(paths: RegoValue[][]): PathNode {
  const root: PathNode = { children: [], end: false };
  for (const path of paths) {
    let node = root;
    for (const seg of path) {
      if (node.end) break;
      let next = node.children.find(([k]) => equal(k, seg))?.[1];
      if (!next) {
        next = { children: [], end: false };
        node.children.push([seg, next]);
      }
      node = next;
    }
    node.end = true;
    node.children = [];
  }
  return root;
}

function childFor(node: PathNode, key: RegoValue, inArray: boolean): PathNode | undefined {
  return node.children.find(([seg]) => segMatches(key, seg, inArray))?.[1];
}

function filterBy(v: RegoValue, node: PathNode): RegoValue | undefined {
  if (node.end) return v;
  if (Array.isArray(v)) {
    const out: RegoValue[] = [];
    v.forEach((x, i) => {
      const c = childFor(node, i, true);
      const f = c && filterBy(x, c);
      if (f !== undefined) out.push(f);
    });
    return out;
  }
  if (v instanceof RegoSet) {
    const out: RegoValue[] = [];
    for (const x of v.items) {
      const c = childFor(node, x, false);
      const f = c && filterBy(x, c);
      if (f !== undefined) out.push(f);
    }
    return makeSet(out);
  }
  if (isObject(v)) {
    const out: Array<[RegoValue, RegoValue]> = [];
    for (const [k, x] of objectEntries(v)) {
      const c = childFor(node, k, false);
      const f = c && filterBy(x, c);
      if (f !== undefined) out.push([k, f]);
    }
    return makeObject(out);
  }
  return undefined;
}

function removeBy(v: RegoValue, node: PathNode): RegoValue | undefined {
  if (node.end) return undefined;
  const keep = (x: RegoValue, c: PathNode | undefined) => (c ? removeBy(x, c) : x);
  if (Array.isArray(v)) {
    const out: RegoValue[] = [];
    v.forEach((x, i) => {
      const r = keep(x, childFor(node, i, true));
      if (r !== undefined) out.push(r);
    });
    return out;
  }
  if (v instanceof RegoSet) {
    const out: RegoValue[] = [];
    for (const x of v.items) {
      const r = keep(x, childFor(node, x, false));
      if (r !== undefined) out.push(r);
    }
    return makeSet(out);
  }
  if (isObject(v)) {
    const out: Array<[RegoValue, RegoValue]> = [];
    for (const [k, x] of objectEntries(v)) {
      const r = keep(x, childFor(node, k, false));
      if (r !== undefined) out.push([k, r]);
    }
    return makeObject(out);
  }
  return v;
}

function pathsArg(args: RegoValue[]): RegoValue[][] {
  const v = args[1] ?? null;
  const items = collectionItems(v);
  if (!items) throw operandError(2, ['set', 'array'], v);
  return items.map(parsePath);
}

// ---------------------------------------------------------------- json.patch (RFC 6902)

type Patched = RegoValue | undefined;

function patchPath(p: RegoValue | undefined): RegoValue[] | undefined {
  if (typeof p === 'string') {
    const t = p.replace(/^\//, '');
    if (p === '' || p === '/') return p === '' ? [] : [''];
    return t.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  if (Array.isArray(p)) return p;
  return undefined;
}

function arrayIndex(seg: RegoValue, len: number, allowEnd: boolean): number | undefined {
  let i: number | undefined;
  if (typeof seg === 'number' && Number.isInteger(seg)) i = seg;
  else if (typeof seg === 'string' && /^(0|[1-9]\d*)$/.test(seg)) i = Number(seg);
  else if (seg === '-' && allowEnd) i = len;
  if (i === undefined || i < 0 || i > (allowEnd ? len : len - 1)) return undefined;
  return i;
}

function getIn(doc: RegoValue, path: RegoValue[]): Patched {
  let cur: RegoValue = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(seg, cur.length, false);
      if (i === undefined) return undefined;
      cur = cur[i]!;
    } else {
      const next: RegoValue | undefined = getMember(cur, seg);
      if (next === undefined) return undefined;
      cur = next;
    }
  }
  return cur;
}

/** Applies `leaf` to the container holding the path's last segment, copying on the way. */
function updateIn(doc: RegoValue, path: RegoValue[], leaf: (parent: RegoValue, seg: RegoValue) => Patched): Patched {
  if (path.length === 0) return undefined;
  const [seg, ...rest] = path as [RegoValue, ...RegoValue[]];
  if (rest.length === 0) return leaf(doc, seg);
  if (Array.isArray(doc)) {
    const i = arrayIndex(seg, doc.length, false);
    if (i === undefined) return undefined;
    const r = updateIn(doc[i]!, rest, leaf);
    if (r === undefined) return undefined;
    const out = [...doc];
    out[i] = r;
    return out;
  }
  if (doc instanceof RegoSet) {
    if (!setHas(doc, seg)) return undefined;
    const r = updateIn(seg, rest, leaf);
    if (r === undefined) return undefined;
    return makeSet([...doc.items.filter((x) => !equal(x, seg)), r]);
  }
  if (isObject(doc)) {
    const child = objectGet(doc, seg);
    if (child === undefined) return undefined;
    const r = updateIn(child, rest, leaf);
    if (r === undefined) return undefined;
    return makeObject(objectEntries(doc).map(([k, x]) => [k, equal(k, seg) ? r : x]));
  }
  return undefined;
}

function addAt(doc: RegoValue, path: RegoValue[], value: RegoValue): Patched {
  if (path.length === 0) return value;
  return updateIn(doc, path, (parent, seg) => {
    if (Array.isArray(parent)) {
      const i = arrayIndex(seg, parent.length, true);
      if (i === undefined) return undefined;
      return [...parent.slice(0, i), value, ...parent.slice(i)];
    }
    if (parent instanceof RegoSet) return equal(seg, value) ? makeSet([...parent.items, value]) : undefined;
    if (isObject(parent)) return makeObject([...objectEntries(parent).filter(([k]) => !equal(k, seg)), [seg, value]]);
    return undefined;
  });
}

function removeAt(doc: RegoValue, path: RegoValue[]): Patched {
  return updateIn(doc, path, (parent, seg) => {
    if (Array.isArray(parent)) {
      const i = arrayIndex(seg, parent.length, false);
      return i === undefined ? undefined : [...parent.slice(0, i), ...parent.slice(i + 1)];
    }
    if (parent instanceof RegoSet) return setHas(parent, seg) ? new RegoSet(setItems(parent).filter((x) => !equal(x, seg))) : undefined;
    if (isObject(parent)) {
      if (objectGet(parent, seg) === undefined) return undefined;
      return makeObject(objectEntries(parent).filter(([k]) => !equal(k, seg)));
    }
    return undefined;
  });
}

function applyPatch(doc: RegoValue, op: RegoValue): Patched {
  if (!isObject(op)) return undefined;
  const kind = objectGet(op, 'op');
  const path = patchPath(objectGet(op, 'path'));
  if (path === undefined) return undefined;
  const value = objectGet(op, 'value');
  const from = () => patchPath(objectGet(op, 'from'));
  switch (kind) {
    case 'add':
      return value === undefined ? undefined : addAt(doc, path, value);
    case 'remove':
      return path.length === 0 ? undefined : removeAt(doc, path);
    case 'replace': {
      if (value === undefined || getIn(doc, path) === undefined) return undefined;
      if (path.length === 0) return value;
      const removed = removeAt(doc, path);
      return removed === undefined ? undefined : addAt(removed, path, value);
    }
    case 'move': {
      const f = from();
      if (!f) return undefined;
      const v = getIn(doc, f);
      if (v === undefined) return undefined;
      if (f.length === 0) return path.length === 0 ? doc : undefined;
      const removed = removeAt(doc, f);
      return removed === undefined ? undefined : addAt(removed, path, v);
    }
    case 'copy': {
      const f = from();
      const v = f && getIn(doc, f);
      return v === undefined ? undefined : addAt(doc, path, v);
    }
    case 'test': {
      const v = getIn(doc, path);
      return v !== undefined && value !== undefined && equal(v, value) ? doc : undefined;
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- walk

/** Every [path, value] pair of the document, root first (walk is a relation: the planner iterates this list). */
export function walkPairs(v: RegoValue, path: RegoValue[] = [], out: RegoValue[] = []): RegoValue[] {
  out.push([path, v]);
  if (Array.isArray(v)) v.forEach((x, i) => walkPairs(x, [...path, i], out));
  else if (v instanceof RegoSet) for (const x of setItems(v)) walkPairs(x, [...path, x], out);
  else if (isObject(v)) for (const [k, x] of sortedEntries(v)) walkPairs(x, [...path, k], out);
  return out;
}

// ---------------------------------------------------------------- registration

function setOfSets(args: RegoValue[]): RegoSet[] {
  const s = setArg(args, 0);
  return s.items.map((x) => {
    if (!(x instanceof RegoSet)) throw typeError(`operand 1 must be set of sets but got set containing ${typeNameOf(x)}`);
    return x;
  });
}

implementAll({
  'object.get': (args) => {
    const o = objArg(args, 0);
    const key = args[1]!;
    const dflt = args[2]!;
    if (Array.isArray(key)) {
      let cur: RegoValue = o;
      for (const seg of key) {
        const next = getMember(cur, seg);
        if (next === undefined) return dflt;
        cur = next;
      }
      return cur;
    }
    return objectGet(o, key) ?? dflt;
  },
  'object.keys': (args) => makeSet(objectEntries(objArg(args, 0)).map(([k]) => k)),
  'object.remove': (args) => {
    const o = objArg(args, 0);
    const keys = keyList(args[1] ?? null);
    return makeObject(objectEntries(o).filter(([k]) => !keys.some((x) => equal(x, k))));
  },
  'object.filter': (args) => {
    const o = objArg(args, 0);
    const keys = keyList(args[1] ?? null);
    return makeObject(objectEntries(o).filter(([k]) => keys.some((x) => equal(x, k))));
  },
  'object.union': (args) => unionObjects(objArg(args, 0), objArg(args, 1)),
  'object.union_n': (args) => {
    const xs = arrArg(args, 0);
    let acc: Obj = {};
    for (const x of xs) {
      if (!isObject(x)) throw typeError(`operand 1 must be array of objects but got array containing ${typeNameOf(x)}`);
      acc = unionObjects(acc, x);
    }
    return acc;
  },
  'object.subset': (args) => isSubset(subsetOperand(1, args[0] ?? null), subsetOperand(2, args[1] ?? null)),
  'json.filter': (args) => {
    const o = objArg(args, 0);
    return filterBy(o, pathTree(pathsArg(args))) ?? {};
  },
  'json.remove': (args) => {
    const o = objArg(args, 0);
    return removeBy(o, pathTree(pathsArg(args))) ?? {};
  },
  'json.patch': (args) => {
    const ops = arrArg(args, 1);
    let doc: Patched = args[0]!;
    for (const op of ops) {
      doc = applyPatch(doc, op);
      if (doc === undefined) return undefined;
    }
    return doc;
  },
  union: (args) => makeSet(setOfSets(args).flatMap((s) => s.items)),
  intersection: (args) => {
    const sets = setOfSets(args);
    if (sets.length === 0) return new RegoSet([]);
    return new RegoSet(setItems(sets[0]!).filter((x) => sets.every((s) => setHas(s, x))));
  },
  set_diff: (args) => {
    const a = setArg(args, 0);
    const b = setArg(args, 1);
    return new RegoSet(setItems(a).filter((x) => !setHas(b, x)));
  },
  walk: (args) => walkPairs(args[0]!),
});

