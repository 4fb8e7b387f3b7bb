// Bump allocator over the imported linear memory. Nothing is ever freed
// individually: the SDK resets the heap between evaluations with
// opa_heap_ptr_set, which is what makes a bump allocator sufficient.

// The emitter appends its own data segments after ours and rewrites this
// global's initial value to point past them; the build script sets it to
// the end of the runtime's static data.
export let hooker_heap_start: usize = 0;

// 0 until the first allocation, so that a rewritten hooker_heap_start is
// honoured even though this global was initialised before it was known.
let heapPtr: usize = 0;

@inline
function top(): usize {
  return heapPtr == 0 ? (hooker_heap_start + 7) & ~7 : heapPtr;
}

export function heapGet(): usize {
  return top();
}

export function heapSet(ptr: usize): void {
  heapPtr = ptr;
}

/**
 * Makes sure linear memory covers [0, end); the SDK may grow it behind our
 * back, so ask every time. Memory grows geometrically (at least doubling),
 * so an evaluation needing N bytes grows it O(log N) times, and the SDK
 * keeps it for the next evaluations, which reuse it from the bottom (the
 * heap pointer is reset between them). Where a maximum stops the doubling,
 * only what is needed is asked for.
 */
function ensureMemory(end: usize): void {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return;
  const needed = <i32>((end - have + 0xffff) >> 16);
  const doubling = memory.size();
  if (doubling > needed && memory.grow(doubling) >= 0) return;
  if (memory.grow(needed) < 0) {
    abort("out of memory");
  }
}

/** size bytes, 8-byte aligned, contents unspecified. */
export function alloc(size: usize): usize {
  const p = (top() + 7) & ~(<usize>7);
  const end = p + size;
  ensureMemory(end);
  heapPtr = end;
  return p;
}

export function allocZeroed(size: usize): usize {
  const p = alloc(size);
  memory.fill(p, 0, size);
  return p;
}

/**
 * Resizes a block from oldSize to newSize bytes. When the block is the last
 * allocation it grows in place, so vectors built without interleaved
 * allocations (arrays being appended to, output buffers) never copy.
 */
export function grow(ptr: usize, oldSize: usize, newSize: usize): usize {
  if (ptr != 0 && ptr + oldSize == heapPtr) {
    const end = ptr + newSize;
    ensureMemory(end);
    heapPtr = end;
    return ptr;
  }
  const p = alloc(newSize);
  if (oldSize > 0) memory.copy(p, ptr, oldSize);
  return p;
}
