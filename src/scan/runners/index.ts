// Builds the runner of a configured scanner.

import type { ScannerDef } from '../config.js';
import { connectDocker } from '../../actions/docker/engine.js';
import { DockerRunner } from './docker.js';
import { ExecRunner } from './exec.js';
import { HttpRunner } from './http.js';
import { KubernetesExecRunner } from './kubernetes-exec.js';
import { KubernetesJobRunner } from './kubernetes-job.js';
import type { ScanRunner } from './types.js';

export function createRunner(def: ScannerDef, env: NodeJS.ProcessEnv): ScanRunner {
  switch (def.runner) {
    case 'docker':
      return new DockerRunner(def, connectDocker(env));
    case 'exec':
      return new ExecRunner(def, env);
    case 'http':
      return new HttpRunner(def);
    case 'kubernetes-exec':
      return new KubernetesExecRunner(def, env);
    case 'kubernetes-job':
      return new KubernetesJobRunner(def, env);
  }
}
