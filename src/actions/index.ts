// `type:` values of cfg.yaml -> the factory that builds the action.

import type { ActionFactory } from './types.js';
import { stdoutAction } from './stdout.js';
import { webhookAction } from './webhook.js';
import { execAction } from './exec.js';
import { httpAction } from './http.js';
import { dockerAction } from './docker.js';
import { kubernetesAction } from './kubernetes.js';
import { scanAction } from './scan.js';

export const actionFactories: readonly ActionFactory[] = [stdoutAction, webhookAction, execAction, httpAction, dockerAction, kubernetesAction, scanAction];

export function findActionFactory(type: string, factories: readonly ActionFactory[] = actionFactories): ActionFactory | undefined {
  return factories.find((f) => f.types.includes(type));
}

/** Keys an action type accepts besides name/type/enable, or undefined for an unknown type. */
export function actionKeys(type: string, factories: readonly ActionFactory[] = actionFactories): string[] | undefined {
  return findActionFactory(type, factories)?.keys;
}
