// npm run conformance -- [DIR] [--json FILE] [--filter TEXT] [--failures] [--write-floor FILE]
// Runs every case under DIR (default ../shared/conformance) through
// compile -> wasm -> opa-wasm SDK, prints a table per topic and the line
// `conformance: N passed, M failed`.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadCases } from './cases.js';
import { runCase } from './run.js';
import { closingLine, floorOf, formatTable, tally } from './report.js';

interface Args { dir: string; json?: string; filter?: string; failures: boolean; writeFloor?: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { dir: resolve(process.cwd(), '../shared/conformance'), failures: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') args.json = argv[++i];
    else if (a === '--filter') args.filter = argv[++i];
    else if (a === '--failures') args.failures = true;
    else if (a === '--write-floor') args.writeFloor = argv[++i];
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.dir = resolve(process.cwd(), a);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  let cases = loadCases(args.dir);
  if (args.filter) cases = cases.filter((c) => c.note.includes(args.filter!) || c.topic.includes(args.filter!));
  const rows: Array<{ topic: string; note: string; pass: boolean; stage?: string; reason?: string }> = [];
  for (const c of cases) {
    let outcome;
    try {
      outcome = await runCase(c);
    } catch (e) {
      outcome = { pass: false as const, stage: 'runner', reason: e instanceof Error ? e.message : String(e) };
    }
    rows.push({ topic: c.topic, note: c.note, ...outcome });
    if (!outcome.pass && args.failures) console.log(`FAIL ${c.note} [${outcome.stage}] ${outcome.reason}`);
  }
  const topics = tally(rows);
  console.log(formatTable(topics));
  if (args.json) writeFileSync(args.json, JSON.stringify({ topics, cases: rows }, null, 2));
  if (args.writeFloor) writeFileSync(args.writeFloor, `${JSON.stringify(floorOf(topics), null, 2)}\n`);
  console.log(closingLine(topics));
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(2);
});
