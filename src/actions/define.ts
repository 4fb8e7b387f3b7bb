// Turns an action type's definition (keys, parse, build) into the
// ActionFactory the registry and the config pipeline use. Every action built
// here has its secrets (values of its `secrets` keys) scrubbed from delivery
// details, `changed` entries and log lines, whatever the action itself writes.

import type { Action, ActionFactory, ActionServices, ConfigProblem, DeliveryContext, DeliveryResult } from './types.js';
import { ActionConfigReader } from './action-config.js';
import { redactor } from './redact.js';

export interface BuildContext {
  /** The action's `name:`. */
  name: string;
  env: NodeJS.ProcessEnv;
  services: ActionServices;
}

export interface ActionDefinition<S> {
  type: string;
  aliases?: readonly string[];
  keys: readonly string[];
  secrets?: readonly string[];
  /** Reads and checks the keys through `r` (its problems are the user's errors); undefined when unusable. */
  parse(r: ActionConfigReader, env: NodeJS.ProcessEnv): S | undefined;
  /** Builds the action; throws ActionSetupError (or Error) when the environment cannot serve it. */
  build(settings: S, ctx: BuildContext): Action;
}

/** A problem found while building an action (not in its keys but in its environment). */
export class ActionSetupError extends Error {
  constructor(public readonly path: string, message: string) {
    super(message);
    this.name = 'ActionSetupError';
  }
}

interface Parsed<S> { name: string; value: S; secrets: string[] }

export function defineAction<S>(def: ActionDefinition<S>): ActionFactory {
  const secrets = def.secrets ?? [];
  const keys = [...def.keys, ...secrets.map((k) => `${k}-file`)];
  const factory: ActionFactory = {
    type: def.type,
    ...(def.aliases ? { aliases: def.aliases } : {}),
    keys,
    secrets,
    parse(config, env) {
      const r = new ActionConfigReader(config, { secrets, env });
      const value = def.parse(r, env);
      if (value === undefined || r.problems.length) {
        if (value === undefined && r.problems.length === 0) r.problems.push({ path: '', message: 'the action cannot be used' });
        return { problems: r.problems };
      }
      const parsed: Parsed<S> = { name: typeof config['name'] === 'string' ? config['name'] : String(config['name'] ?? def.type), value, secrets: r.secretValues() };
      return { settings: parsed, problems: [] };
    },
    build(settings, env, services) {
      const p = settings as Parsed<S>;
      const action = def.build(p.value, { name: p.name, env, services });
      return p.secrets.length ? scrubbed(action, p.secrets) : action;
    },
    create(config, env, services = {}) {
      const parsed = factory.parse(config, env);
      if (parsed.settings === undefined) return { problems: parsed.problems };
      try {
        return { action: factory.build(parsed.settings, env, services), problems: [] };
      } catch (e) {
        return { problems: [setupProblem(e)] };
      }
    },
  };
  return factory;
}

export function setupProblem(e: unknown): ConfigProblem {
  if (e instanceof ActionSetupError) return { path: e.path, message: e.message };
  return { path: '', message: e instanceof Error ? e.message : String(e) };
}

function scrubbed(action: Action, secrets: string[]): Action {
  const scrub = redactor(secrets);
  const clean = (r: DeliveryResult): DeliveryResult => ({
    ...r,
    ...(r.detail !== undefined ? { detail: scrub(r.detail) } : {}),
    ...(r.changed ? { changed: r.changed.map(scrub) } : {}),
  });
  return {
    name: action.name,
    type: action.type,
    async deliver(ctx: DeliveryContext) {
      const log = (line: string) => ctx.log(scrub(line));
      try {
        // `event` may be a getter on ctx's class (action-runner.ts RunContext), which a spread leaves out.
        return clean(await action.deliver({ ...ctx, event: ctx.event, log }));
      } catch (e) {
        // An exception's text may quote a request (with its credentials).
        throw new Error(scrub(e instanceof Error ? e.message : String(e)));
      }
    },
    ...(action.close ? { close: () => action.close!() } : {}),
  };
}
