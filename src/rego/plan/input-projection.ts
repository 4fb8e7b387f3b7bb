// Which parts of the input document a policy can observe, from its IR.
//
// Route filters read a few fields of an event (`input.SigMetadata.ID`,
// `input.Context.processName`) and most of the event is never looked at, yet
// parsing it into runtime values was most of an evaluation's cost. This
// analysis finds the object keys below which the input is only ever walked
// by constant keys (`Dot` with a string constant), so that the runtime's
// one-shot evaluation (opa_eval) can build only those fields and check the
// rest of the text as JSON without building values for it
// (runtime json.ts, parseJsonProjected).
//
// Soundness: a value the policy can observe in any way other than a Dot by a
// constant key, a type test (IsObject, IsArray, IsSet, IsDefined,
// IsUndefined) or being handed to a planned function (whose parameter is
// then analysed the same way) is needed whole: compared, counted,
// iterated, passed to a builtin, returned, stored in a collection, used as a
// key or under `with`. The analysis is flow-insensitive (a local holds the
// union of everything ever assigned to it) and iterated to a fixed point
// across functions, so it over-approximates what is read. Every statement it
// does not know marks its operands whole.

import type { Block, Func, Operand, Policy, Stmt } from './ir.js';

/** A place in the input: `whole` when everything below it is needed, else only `children`. */
export interface ProjectionNode {
  whole: boolean;
  children: Map<string, ProjectionNode>;
  /** Keys from the root (a Dot whose target is its own source would otherwise grow a path forever). */
  depth: number;
}

/** Paths deeper than this are needed whole; more nodes than MAX_NODES and the whole input is parsed. */
const MAX_DEPTH = 32;
const MAX_NODES = 4096;

function node(depth = 0): ProjectionNode { return { whole: false, children: new Map(), depth }; }

/** Marks everything below n needed (the children no longer matter). */
function markWhole(n: ProjectionNode): boolean {
  if (n.whole) return false;
  n.whole = true;
  n.children.clear();
  return true;
}

type Nodes = Set<ProjectionNode>;

/** Per function (or plan): what each local may hold. */
class Frame {
  readonly locals = new Map<number, Nodes>();
  get(local: number): Nodes | undefined { return this.locals.get(local); }
  with(local: number, n: ProjectionNode): Frame { this.locals.set(local, new Set([n])); return this; }
  add(local: number, nodes: Iterable<ProjectionNode>): boolean {
    let set = this.locals.get(local);
    let changed = false;
    for (const n of nodes) {
      if (!set) { set = new Set(); this.locals.set(local, set); }
      if (!set.has(n)) { set.add(n); changed = true; }
    }
    return changed;
  }
}

/**
 * The input projection of a policy: the tree of object keys the policy can
 * reach by constant keys, or undefined when it needs the whole input (the
 * root is used whole somewhere).
 */
export function inputProjection(policy: Policy): ProjectionNode | undefined {
  return new Analysis(policy).run();
}

class Analysis {
  private readonly root = node();
  private readonly strings: string[];
  private readonly funcs: Map<string, Func>;
  private readonly frames = new Map<string, Frame>();
  /** Whether the frame being walked learnt something (it is walked again until it does not). */
  private changed = false;
  /** Functions whose parameters learnt something since they were last walked. */
  private readonly pending = new Set<string>();
  private nodes = 1;
  /** The first walk: calls are not followed. */
  private direct = false;

  constructor(private readonly policy: Policy) {
    this.strings = policy.static.strings;
    this.funcs = new Map(policy.funcs.map((f) => [f.name, f]));
  }

  run(): ProjectionNode | undefined {
    const { root, pending } = this;
    // Most policies that need the whole input use it whole right where it
    // arrives (object.get(input, ...), input == x): one walk of each function
    // with only its input parameter known finds that without following calls.
    this.direct = true;
    for (const f of this.policy.funcs) {
      if (f.params.length > 0) this.blocks(new Frame().with(f.params[0]!, root), f.blocks);
      if (root.whole) return undefined;
    }
    this.direct = false;
    // Each plan and function is walked until its locals stop growing; a
    // function is walked again only when a caller passes it something new.
    for (const p of this.policy.plans) {
      const frame = this.frameOf(`plan:${p.name}`);
      frame.add(0, [root]);
      this.settle(frame, p.blocks);
    }
    while (pending.size > 0 && !root.whole) {
      const name = pending.values().next().value!;
      pending.delete(name);
      const f = this.funcs.get(name)!;
      const frame = this.frameOf(name);
      this.settle(frame, f.blocks);
      // A func's value is what its result local holds when it falls off the end.
      this.wholeAll(frame.get(f.result));
    }
    return root.whole ? undefined : root;
  }

  private frameOf(name: string): Frame {
    let f = this.frames.get(name);
    if (!f) { f = new Frame(); this.frames.set(name, f); }
    return f;
  }

  private settle(frame: Frame, blocks: Block[]): void {
    do {
      this.changed = false;
      this.blocks(frame, blocks);
    } while (this.changed && !this.root.whole);
  }

  private child(n: ProjectionNode, key: string): ProjectionNode | undefined {
    if (n.whole) return undefined; // inside a whole value: nothing to track
    let c = n.children.get(key);
    if (!c) {
      if (n.depth >= MAX_DEPTH || ++this.nodes > MAX_NODES) { markWhole(n); return undefined; }
      c = node(n.depth + 1);
      n.children.set(key, c);
    }
    return c;
  }

  private wholeAll(nodes: Nodes | undefined): void {
    if (nodes) for (const n of nodes) markWhole(n);
  }

  private whole(frame: Frame, o: Operand): void {
    if (o.type === 'local') this.wholeAll(frame.get(o.local));
  }

  private wholeLocal(frame: Frame, l: number): void {
    this.wholeAll(frame.get(l));
  }

  private blocks(frame: Frame, blocks: Block[]): void {
    for (const b of blocks) this.block(frame, b);
  }

  private block(frame: Frame, b: Block): void {
    for (const s of b.stmts) {
      if (this.root.whole) return; // nothing left to find out
      this.stmt(frame, s);
    }
  }

  private stmt(frame: Frame, s: Stmt): void {
    switch (s.type) {
      case 'Dot': {
        const src = s.source.type === 'local' ? frame.get(s.source.local) : undefined;
        if (!src) { this.whole(frame, s.key); return; }
        if (s.key.type !== 'string_index') { this.wholeAll(src); this.whole(frame, s.key); return; }
        const key = this.strings[s.key.index]!;
        const out: ProjectionNode[] = [];
        for (const n of src) { const c = this.child(n, key); if (c) out.push(c); }
        if (frame.add(s.target, out)) this.changed = true;
        return;
      }
      case 'AssignVar': {
        const src = s.source.type === 'local' ? frame.get(s.source.local) : undefined;
        if (src && frame.add(s.target, src)) this.changed = true;
        return;
      }
      case 'Call': {
        const callee = this.funcs.get(s.func);
        if (!callee) { for (const a of s.args) this.whole(frame, a); return; }
        if (this.direct) return;
        // Planned functions get the caller's input and data first, then the arguments.
        const calleeFrame = this.frameOf(callee.name);
        const passed: Array<Nodes | undefined> = [frame.get(0), frame.get(1), ...s.args.map((a) => (a.type === 'local' ? frame.get(a.local) : undefined))];
        passed.forEach((nodes, i) => {
          if (!nodes) return;
          const p = callee.params[i];
          if (p === undefined) this.wholeAll(nodes);
          else if (calleeFrame.add(p, nodes)) this.pending.add(callee.name);
        });
        return;
      }
      case 'IsArray': case 'IsObject': case 'IsSet': case 'IsDefined': case 'IsUndefined':
      case 'ResetLocal': case 'Break': case 'Nop': case 'Abort':
      case 'MakeNumberInt': case 'MakeNumberRef': case 'MakeNull': case 'MakeArray': case 'MakeObject': case 'MakeSet': case 'AssignInt':
        return;
      case 'Block': this.blocks(frame, s.blocks); return;
      case 'Not': this.block(frame, s.block); return;
      case 'Scan': this.wholeLocal(frame, s.source); this.block(frame, s.block); return;
      case 'With':
        // `with input as v` replaces the whole document (the original is not read); a path copies the rest of it.
        if (s.path.length > 0) this.wholeLocal(frame, s.local);
        this.whole(frame, s.value);
        this.block(frame, s.block);
        return;
      case 'AssignVarOnce': this.whole(frame, s.source); this.wholeLocal(frame, s.target); return;
      case 'Equal': case 'NotEqual': this.whole(frame, s.a); this.whole(frame, s.b); return;
      case 'Len': this.whole(frame, s.source); return;
      case 'ArrayAppend': this.wholeLocal(frame, s.array); this.whole(frame, s.value); return;
      case 'SetAdd': this.wholeLocal(frame, s.set); this.whole(frame, s.value); return;
      case 'ObjectInsert': case 'ObjectInsertOnce':
        this.wholeLocal(frame, s.object); this.whole(frame, s.key); this.whole(frame, s.value);
        return;
      case 'ObjectMerge': this.whole(frame, s.a); this.whole(frame, s.b); return;
      case 'ResultSetAdd': this.wholeLocal(frame, s.value); return;
      case 'ReturnLocal': this.wholeLocal(frame, s.source); return;
      default: {
        // A statement this analysis does not know: every local it mentions is needed whole.
        const unknown: never = s;
        for (const v of Object.values(unknown as Record<string, unknown>)) {
          if (v && typeof v === 'object' && (v as Operand).type === 'local') this.whole(frame, v as Operand);
        }
      }
    }
  }
}
