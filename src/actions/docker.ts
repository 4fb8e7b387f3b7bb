// `type: docker`: runs a container per delivery (forensics, scanners, custom
// responders). The container receives the event as JSON in HOOKER_EVENT, is
// labelled as Hooker's, its exit code decides success, and it is removed
// afterwards whatever happened.

import type Docker from 'dockerode';
import type { Action, ActionFactory, DeliveryContext, DeliveryResult } from './types.js';
import { EventRefError, isEventRef, resolveEventRefText } from './event-ref.js';
import { DOCKER_KEYS, parseDockerConfig, type DockerActionConfig } from './docker/config.js';
import { connectDocker } from './docker/engine.js';
import { ensureImage, errorText, ImageUnavailableError, withDefaultTag } from './docker/image.js';
import { runContainer } from './docker/run-container.js';
import { ActionSetupError, defineAction } from './define.js';
import { stringifyJson } from '../json/lossless.js';

export const MANAGED_LABEL = 'io.hooker.managed';

function resolveValue(event: unknown, value: string): string {
  return isEventRef(value) ? resolveEventRefText(event, value) : value;
}

class DockerAction implements Action {
  readonly type = 'docker';
  readonly name: string;

  constructor(private readonly cfg: DockerActionConfig, private readonly docker: Docker) {
    this.name = cfg.name;
  }

  async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
    const { cfg } = this;
    let cmd: string[] | undefined;
    let env: string[];
    try {
      cmd = cfg.cmd?.map((item) => resolveValue(ctx.event, item));
      env = cfg.env.map(([k, v]) => `${k}=${resolveValue(ctx.event, v)}`);
    } catch (e) {
      if (e instanceof EventRefError) return { ok: false, retryable: false, detail: `cannot resolve ${e.ref}: ${e.message}` };
      throw e;
    }
    env.push(`HOOKER_EVENT=${stringifyJson(ctx.event ?? null)}`);
    const image = withDefaultTag(cfg.image);

    try {
      await ensureImage(this.docker, image, cfg.pull, (l) => ctx.log(l));
    } catch (e) {
      if (e instanceof ImageUnavailableError) return { ok: false, retryable: e.retryable, detail: e.message };
      return { ok: false, retryable: true, detail: `docker engine: ${errorText(e)}` };
    }

    let outcome;
    try {
      outcome = await runContainer(this.docker, {
        image,
        cmd,
        env,
        labels: {
          [MANAGED_LABEL]: 'true',
          'io.hooker.action': this.name,
          'io.hooker.route': ctx.routeName,
          'io.hooker.delivery': ctx.deliveryId,
          'io.hooker.event': ctx.eventId,
        },
        network: cfg.network,
        binds: cfg.mounts.map((m) => `${m.host}:${m.container}${m.readOnly ? ':ro' : ''}`),
        memoryBytes: cfg.memoryBytes,
        pidsLimit: cfg.pidsLimit,
      }, { timeoutMs: cfg.timeoutMs, signal: ctx.signal, log: (l) => ctx.log(l) });
    } catch (e) {
      // 400 = the engine refused the container's configuration (bad network, bind...).
      const code = (e as { statusCode?: number }).statusCode;
      return { ok: false, retryable: code === undefined || code >= 500, detail: `running ${image} failed: ${errorText(e)}` };
    }

    const ran = `container ${outcome.containerId.slice(0, 12)} (${image})`;
    const changed = [`${ran} ran and was removed`];
    if (outcome.timedOut) return { ok: false, retryable: true, changed, detail: `${ran} killed after timeout of ${cfg.timeoutMs} ms` };
    if (outcome.aborted) return { ok: false, retryable: true, changed, detail: `${ran} killed: delivery aborted` };
    if (outcome.exitCode !== 0) return { ok: false, retryable: true, changed, detail: `${ran} exited with code ${outcome.exitCode}` };
    return { ok: true, changed, detail: `${ran} exited with code 0` };
  }
}

export const dockerAction: ActionFactory = defineAction<DockerActionConfig>({
  type: 'docker',
  keys: DOCKER_KEYS,
  parse(r) {
    const { config: cfg, problems } = parseDockerConfig(r.config);
    r.problems.push(...problems);
    return cfg;
  },
  build(cfg, { env }) {
    let docker: Docker;
    try {
      docker = connectDocker(env);
    } catch (e) {
      throw new ActionSetupError('DOCKER_HOST', e instanceof Error ? e.message : String(e));
    }
    return new DockerAction(cfg, docker);
  },
});
