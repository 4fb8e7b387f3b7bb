// `hooker <command>`: the server (serve, validate) and OPA-shaped Rego
// tooling (build, eval, test). Each subcommand lives in its own module and
// is loaded only when used.

import { UsageError } from './args.js';
import { RegoCompileError, RegoEvalError } from '../rego/errors.js';

const USAGE = `usage: hooker <command> [options]

commands:
  serve                 run the server (HOOKER_CFG, HOOKER_HTTP, HOOKER_HTTPS, ...)
  validate [cfg.yaml]   check a configuration and exit non-zero on error
  build                 compile Rego to WebAssembly (OPA ABI)
  eval                  evaluate a Rego query (opa eval -f json output)
  test                  run test_* rules of *_test.rego files
  deliveries <cmd>      list/show/retry/purge deliveries of a running server (HOOKER_URL, HOOKER_ADMIN_TOKEN)
`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.js')).runServe,
  validate: async () => (await import('./validate.js')).runValidate,
  build: async () => (await import('./rego-build.js')).runBuild,
  eval: async () => (await import('./rego-eval.js')).runEval,
  test: async () => (await import('./rego-test.js')).runTest,
  deliveries: async () => (await import('./deliveries.js')).runDeliveries,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`unknown command ${name}\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof RegoCompileError || e instanceof RegoEvalError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
