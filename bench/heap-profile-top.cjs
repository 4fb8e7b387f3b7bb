// The sampled bytes of a .heapprofile (bench/promoted-heap-profile.cjs) by
// allocating function and by stack (DEPTH frames, 4 by default), largest first.
const profile = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const depth = Number(process.env.DEPTH ?? 4);
const bySelf = new Map();
const byStack = new Map();
let total = 0;
(function walk(node, stack) {
  const f = node.callFrame;
  const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
  const frames = [name, ...stack];
  if (node.selfSize) {
    total += node.selfSize;
    bySelf.set(name, (bySelf.get(name) ?? 0) + node.selfSize);
    const key = frames.slice(0, depth).join(' < ');
    byStack.set(key, (byStack.get(key) ?? 0) + node.selfSize);
  }
  for (const c of node.children) walk(c, frames);
})(profile.head, []);
const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} % ${k}`).join('\n');
console.log(`sampled bytes ${total}\n${top(bySelf)}\n--- by stack\n${top(byStack)}`);
