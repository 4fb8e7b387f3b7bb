// Fastify's schema compilers (ajv for request validation, fast-json-stringify
// for response serialisation), loaded and run when a route first needs them
// instead of when the app is built: loading ajv and compiling every route's
// schemas up front was about a sixth of the server's start. A schema is
// compiled on the first request of its route, with the same libraries and
// options Fastify would use (each default compiler is loaded on first use).

import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

// Fastify's own dependencies, resolved from where Fastify is installed.
const require = createRequire(createRequire(import.meta.url).resolve('fastify'));

type RouteSchema = { schema: unknown; method?: string; url?: string; httpPart?: string };
/** A compiled validator or serializer; ajv validators carry the last call's `errors`. */
type Compiled = ((...args: unknown[]) => unknown) & { errors?: unknown };
type Compiler = (route: RouteSchema) => Compiled;
/** Fastify's compilersFactory.buildValidator / buildSerializer shape. */
type CompilerFactory = (externalSchemas: unknown, options: unknown) => Compiler;

function deferred(loadFactory: () => CompilerFactory): CompilerFactory {
  let factory: CompilerFactory | undefined;
  return (externalSchemas, options) => {
    let compiler: Compiler | undefined;
    return (route) => {
      let compiled: Compiled | undefined;
      const run: Compiled = (...args) => {
        compiled ??= (compiler ??= (factory ??= loadFactory())(externalSchemas, options))(route);
        const out = compiled(...args);
        // Fastify reads a failed validation's errors from the function it was given.
        run.errors = compiled.errors;
        return out;
      };
      return run;
    };
  };
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

export const lazySchemaCompilers = {
  buildValidator: deferred(() => (require('@fastify/ajv-compiler') as () => CompilerFactory)()),
  buildSerializer: deferred(() => (require('@fastify/fast-json-stringify-compiler') as () => CompilerFactory)()),
} as unknown as CompilersFactory;
