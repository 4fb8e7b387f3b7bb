// `type:` values of cfg.yaml -> the action type that parses and builds the
// action. Types match case-insensitively, as in Postee (`serviceNow`,
// `ServiceNow` and `servicenow` are one type).

import type { ActionFactory } from './types.js';
import { stdoutAction } from './stdout.js';
import { webhookAction } from './webhook.js';
import { execAction } from './exec.js';
import { httpAction } from './http.js';
import { dockerAction } from './docker.js';
import { kubernetesAction } from './kubernetes.js';
import { scanAction } from './scan.js';
import { outputActions } from './outputs/index.js';

export const actionFactories: readonly ActionFactory[] = [
  stdoutAction, webhookAction, execAction, httpAction, dockerAction, kubernetesAction, scanAction, ...outputActions,
];

/** An action-type registry as the config validator and the runtime use it. */
export interface ActionTypes {
  find(type: string): ActionFactory | undefined;
  /** Every type name as documented (Postee's spelling). */
  names(): string[];
}

export function actionTypes(factories: readonly ActionFactory[] = actionFactories): ActionTypes {
  const byName = new Map<string, ActionFactory>();
  for (const f of factories) for (const n of [f.type, ...(f.aliases ?? [])]) byName.set(n.toLowerCase(), f);
  return {
    find: (type) => byName.get(type.trim().toLowerCase()),
    names: () => factories.map((f) => f.type),
  };
}

const defaultTypes = actionTypes();

export function findActionFactory(type: string, factories?: readonly ActionFactory[]): ActionFactory | undefined {
  return (factories ? actionTypes(factories) : defaultTypes).find(type);
}

/** Keys an action type accepts besides the common ones, or undefined for an unknown type. */
export function actionKeys(type: string, factories?: readonly ActionFactory[]): string[] | undefined {
  const f = findActionFactory(type, factories);
  return f ? [...f.keys] : undefined;
}
