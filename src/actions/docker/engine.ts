// Connects dockerode to the engine named by DOCKER_HOST, else the local socket.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { dockerode } from '../../lazy-libraries.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Throws a user-facing Error for a DOCKER_HOST we cannot use. */
export function connectDocker(env: NodeJS.ProcessEnv): Docker {
  const Docker = dockerode();
  const host = env.DOCKER_HOST?.trim();
  if (!host) return new Docker({ socketPath: DEFAULT_DOCKER_SOCKET });
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('tcp://') || host.startsWith('http://') || host.startsWith('https://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    // Same convention as the docker CLI: DOCKER_TLS_VERIFY + DOCKER_CERT_PATH.
    const tls = !!env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0' || host.startsWith('https://');
    const certPath = env.DOCKER_CERT_PATH;
    return new Docker({
      protocol: tls ? 'https' : 'http',
      host: url.hostname,
      port: url.port ? Number(url.port) : tls ? 2376 : 2375,
      ...(tls && certPath ? {
        ca: readFileSync(join(certPath, 'ca.pem')),
        cert: readFileSync(join(certPath, 'cert.pem')),
        key: readFileSync(join(certPath, 'key.pem')),
      } : {}),
    });
  }
  throw new Error(`DOCKER_HOST '${host}' is not supported (use unix:// or tcp://)`);
}
