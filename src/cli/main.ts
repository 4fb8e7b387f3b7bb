// `hooker <command>`: the server (serve, validate) and OPA-shaped Rego
// tooling (build, eval, test). Each subcommand lives in its own module and
// is loaded only when used.

import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { CustomBuiltinError, LoadError, RegoCompileError, RegoEvalError } from '../rego/errors.js';

const USAGE = `usage: hooker <command> [options]
       hooker --version
       hooker <command> --help

commands:
  serve                 run the server (HOOKER_CFG, HOOKER_HTTP, HOOKER_HTTPS, ...)
  validate [cfg.yaml]   check a configuration and exit non-zero on error
  build                 compile Rego to WebAssembly (OPA ABI)
  eval                  evaluate a Rego query (opa eval -f json output)
  test                  run test_* rules of *_test.rego files
  deliveries <cmd>      list/show/retry/purge deliveries of a running server (HOOKER_URL, HOOKER_ADMIN_TOKEN)
`;

type Command = (argv: string[]) => Promise<number>;

/** `hooker <command> --help` for the commands that do not print their own. */
const HELP: Record<string, string> = {
  serve: `usage: hooker serve [--config cfg.yaml] [--http host:port] [--https host:port] [cfg.yaml]

Runs the server until SIGINT/SIGTERM; SIGHUP and saving the configuration file reload it.

options:
  -c, --config FILE   configuration file (default HOOKER_CFG / POSTEE_CFG, else config/cfg.yaml)
  --http ADDR         HTTP listen address, empty disables (default HOOKER_HTTP, else 0.0.0.0:8082)
  --https ADDR        HTTPS listen address, empty disables (default HOOKER_HTTPS, else 0.0.0.0:8445)

Every other setting comes from the environment (docs/configuration.md): HOOKER_* or POSTEE_*,
REGO_TEMPLATES_PATH, REGO_FILTERS_PATH, HOOKER_DB (PATH_TO_DB), HOOKER_CERT_PEM (AQUAALERT_CERT_PEM), ...
`,
  validate: `usage: hooker validate [-q] [cfg.yaml]

Checks a configuration as start-up and reload do (YAML, keys, references, action settings, Rego of
routes and templates), prints every problem with file:line and exits 1 when any is an error.

options:
  -q, --quiet   print errors only, not warnings
`,
  build: `usage: hooker build [-e entrypoint]... [--v0] [--plan] FILES|DIRS -o policy.wasm

Compiles Rego to a WebAssembly module with OPA's ABI (as \`opa build -t wasm\`).

options:
  -e, --entrypoint PATH   rule to export, e.g. example/allow (repeatable)
  -o, --output FILE       the .wasm file to write
  --v0                    parse Rego v0 syntax
  --plan                  print the plan instead of compiling
`,
  eval: `usage: hooker eval [-d FILE|DIR]... [-i input.json] [--v0] [--format json|pretty] QUERY

Evaluates a Rego query, printing \`opa eval -f json\` output.

options:
  -d, --data PATH       Rego or JSON data files (repeatable)
  -i, --input FILE      input document
  -f, --format FORMAT   json (default) or pretty
  --v0                  parse Rego v0 syntax
  --strict-builtin-errors   fail on builtin errors instead of leaving the expression undefined
`,
  test: `usage: hooker test [--v0] [-v] DIRS

Runs the test_* rules of *_test.rego files (as \`opa test\`).

options:
  -v, --verbose   list every test
  --v0            parse Rego v0 syntax
`,
};

/** The version of this installation (package.json). */
export function hookerVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

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
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`hooker ${hookerVersion()}\n`);
    return 0;
  }
  const load = commands[name];
  if (HELP[name] && wantsHelp(rest)) {
    process.stdout.write(HELP[name]!);
    return 0;
  }
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
    if (e instanceof RegoCompileError || e instanceof RegoEvalError || e instanceof LoadError || e instanceof CustomBuiltinError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
