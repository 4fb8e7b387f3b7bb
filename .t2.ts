import { loadTopic, runCase } from './test/rego/builtins/support/cases.js';
const topics = process.argv.slice(2);
let pass = 0, total = 0;
for (const t of topics) for (const c of loadTopic(t)) {
  total++;
  const o = runCase(c);
  if (o.status === 'pass') pass++;
  else console.log(o.status.toUpperCase(), c.note, '\n   ', o.detail.slice(0, 600));
}
console.log(`${pass}/${total}`);
