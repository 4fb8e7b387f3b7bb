// Validates a `type: docker` action block of cfg.yaml into a typed config.

import type { ConfigProblem } from '../types.js';
import { EventRefError, isEventRef, parseEventRef } from '../event-ref.js';
import { parseByteSize, parseDurationMs } from './units.js';

export type PullPolicy = 'if-not-present' | 'always' | 'never';

export interface VolumeMount {
  host: string;
  container: string;
  readOnly: boolean;
}

export interface DockerActionConfig {
  name: string;
  image: string;
  /** Items are literals or whole `event.input.<path>` references. */
  cmd?: string[];
  /** Values are literals or whole `event.input.<path>` references. */
  env: Array<[string, string]>;
  network?: string;
  mounts: VolumeMount[];
  pull: PullPolicy;
  timeoutMs: number;
  memoryBytes?: number;
  pidsLimit?: number;
}

export const DOCKER_KEYS = [
  'docker-image-name', 'docker-cmd', 'docker-env', 'docker-network', 'docker-volume-mounts',
  'docker-pull', 'timeout', 'memory', 'pids-limit',
];

export const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const PULL_POLICIES: PullPolicy[] = ['if-not-present', 'always', 'never'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseDockerConfig(config: Record<string, unknown>): { config?: DockerActionConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const problem = (path: string, message: string): void => { problems.push({ path, message }); };
  const checkRef = (path: string, value: string): void => {
    if (!isEventRef(value)) return;
    try { parseEventRef(value); } catch (e) { problem(path, e instanceof EventRefError ? e.message : String(e)); }
  };

  const name = typeof config.name === 'string' ? config.name : '';
  const image = config['docker-image-name'];
  if (typeof image !== 'string' || image.trim() === '') problem('docker-image-name', 'required: the image to run');

  let cmd: string[] | undefined;
  const rawCmd = config['docker-cmd'];
  if (rawCmd !== undefined && rawCmd !== null) {
    if (!Array.isArray(rawCmd)) problem('docker-cmd', 'must be a list of strings');
    else {
      cmd = [];
      rawCmd.forEach((item, i) => {
        if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
          cmd!.push(String(item));
          checkRef(`docker-cmd[${i}]`, String(item));
        } else problem(`docker-cmd[${i}]`, 'must be a string');
      });
    }
  }

  const env: Array<[string, string]> = [];
  const rawEnv = config['docker-env'];
  const addEnv = (path: string, key: string, value: unknown): void => {
    if (!ENV_NAME.test(key)) return problem(path, `'${key}' is not a valid environment variable name`);
    if (key === 'HOOKER_EVENT') return problem(path, 'HOOKER_EVENT is set by Hooker (the event as JSON)');
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return problem(path, 'value must be a string');
    env.push([key, String(value)]);
    checkRef(path, String(value));
  };
  if (Array.isArray(rawEnv)) {
    rawEnv.forEach((item, i) => {
      const eq = typeof item === 'string' ? item.indexOf('=') : -1;
      if (typeof item !== 'string' || eq <= 0) problem(`docker-env[${i}]`, 'list items must look like KEY=VALUE');
      else addEnv(`docker-env[${i}]`, item.slice(0, eq), item.slice(eq + 1));
    });
  } else if (rawEnv && typeof rawEnv === 'object') {
    for (const [k, v] of Object.entries(rawEnv)) addEnv(`docker-env.${k}`, k, v);
  } else if (rawEnv !== undefined && rawEnv !== null) problem('docker-env', 'must be a map or a list of KEY=VALUE');

  const network = config['docker-network'];
  if (network !== undefined && (typeof network !== 'string' || network === '')) problem('docker-network', 'must be a network name (host, none, bridge or a user network)');

  const mounts: VolumeMount[] = [];
  const rawMounts = config['docker-volume-mounts'];
  const addMount = (path: string, host: unknown, target: unknown): void => {
    if (typeof host !== 'string' || !host.startsWith('/')) return problem(path, 'host path must be absolute');
    if (typeof target !== 'string') return problem(path, 'container path must be a string');
    const [container, mode] = target.split(':');
    if (!container.startsWith('/')) return problem(path, 'container path must be absolute');
    if (mode !== undefined && mode !== 'ro' && mode !== 'rw') return problem(path, `mode must be ro or rw, not '${mode}'`);
    mounts.push({ host, container, readOnly: mode === 'ro' });
  };
  if (Array.isArray(rawMounts)) {
    rawMounts.forEach((item, i) => {
      const s = typeof item === 'string' ? item : '';
      const colon = s.indexOf(':');
      if (colon <= 0) problem(`docker-volume-mounts[${i}]`, 'list items must look like /host/path:/container/path[:ro]');
      else addMount(`docker-volume-mounts[${i}]`, s.slice(0, colon), s.slice(colon + 1));
    });
  } else if (rawMounts && typeof rawMounts === 'object') {
    for (const [host, target] of Object.entries(rawMounts)) addMount(`docker-volume-mounts.${host}`, host, target);
  } else if (rawMounts !== undefined && rawMounts !== null) problem('docker-volume-mounts', 'must be a map of host path to container path');

  const pull = (config['docker-pull'] ?? 'if-not-present') as PullPolicy;
  if (!PULL_POLICIES.includes(pull)) problem('docker-pull', `must be one of ${PULL_POLICIES.join(', ')}`);

  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (config.timeout !== undefined) {
    const t = parseDurationMs(config.timeout);
    if (t === undefined) problem('timeout', 'must be a duration such as 30s, 5m or a number of seconds');
    else timeoutMs = t;
  }

  let memoryBytes: number | undefined;
  if (config.memory !== undefined) {
    memoryBytes = parseByteSize(config.memory);
    if (memoryBytes === undefined) problem('memory', 'must be a size such as 64m or 1g');
    // dockerd refuses anything below 6 MiB; say so at load time, not per delivery.
    else if (memoryBytes < 6 * 1024 * 1024) problem('memory', 'must be at least 6m (Docker minimum)');
  }

  let pidsLimit: number | undefined;
  if (config['pids-limit'] !== undefined) {
    const p = Number(config['pids-limit']);
    if (!Number.isInteger(p) || p <= 0) problem('pids-limit', 'must be a positive integer');
    else pidsLimit = p;
  }

  if (problems.length > 0) return { problems };
  return {
    config: {
      name, image: (image as string).trim(), cmd, env, network: network as string | undefined, mounts, pull, timeoutMs, memoryBytes, pidsLimit,
    },
    problems,
  };
}
