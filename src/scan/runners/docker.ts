// `runner: docker`: runs a scanner image with the target as argument. The
// report is read from stdout or from a file the scanner writes into a
// mounted output dir. Registry credentials (a .dockerconfigjson file) are used
// to pull the scanner image and are handed to the scanner as DOCKER_CONFIG so
// it can pull a private target.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { imagePresent, errorText, statusCode, withDefaultTag } from '../../actions/docker/image.js';
import { runContainer } from '../../actions/docker/run-container.js';
import { MANAGED_LABEL } from '../../actions/docker.js';
import { credentialFor, type RegistryCredential } from './registry-auth.js';
import { expandArgs, ScanRunError, type RunContext, type RunOutput, type ScanRunner } from './types.js';

export interface DockerRunnerConfig {
  image: string;
  args: string[];
  env: Record<string, string>;
  network?: string;
  pull: 'if-not-present' | 'always' | 'never';
  /** Report file name inside the output dir (mounted at /hooker-output); stdout when absent. */
  reportFile?: string;
  /** Path of a .dockerconfigjson file. */
  registryAuthFile?: string;
}

export const OUTPUT_DIR = '/hooker-output';
const AUTH_DIR = '/hooker-auth';

export class DockerRunner implements ScanRunner {
  readonly kind = 'docker';
  constructor(private readonly cfg: DockerRunnerConfig, private readonly docker: Docker) {}

  async run(ctx: RunContext): Promise<RunOutput> {
    const image = withDefaultTag(this.cfg.image);
    const authJson = ctx.registryAuth ?? (this.cfg.registryAuthFile ? readFileSync(this.cfg.registryAuthFile, 'utf8') : undefined);
    await this.ensureImage(image, authJson === undefined ? undefined : credentialFor(authJson, image), ctx);

    const scratch = mkdtempSync(join(tmpdir(), 'hooker-scan-'));
    try {
      const binds: string[] = [];
      const env = Object.entries(this.cfg.env).map(([k, v]) => `${k}=${v}`);
      const extra: Record<string, string> = {};
      if (this.cfg.reportFile) {
        const out = join(scratch, 'output');
        mkdirSync(out);
        // The scanner may run as any user: it must be able to write its report.
        chmodSync(out, 0o777);
        binds.push(`${out}:${OUTPUT_DIR}`);
        extra.output = `${OUTPUT_DIR}/${this.cfg.reportFile}`;
      }
      if (authJson !== undefined) {
        const auth = join(scratch, 'auth');
        mkdirSync(auth, { mode: 0o700 });
        writeFileSync(join(auth, 'config.json'), authJson, { mode: 0o600 });
        binds.push(`${auth}:${AUTH_DIR}:ro`);
        env.push(`DOCKER_CONFIG=${AUTH_DIR}`);
      }
      const cmd = expandArgs(this.cfg.args, ctx, extra);
      const stdout: string[] = [];
      const outcome = await runContainer(this.docker, {
        image, cmd, env, network: this.cfg.network, binds,
        labels: { [MANAGED_LABEL]: 'true', 'io.hooker.scan': ctx.scanId },
      }, {
        timeoutMs: ctx.timeoutMs, signal: ctx.signal, maxLines: Number.MAX_SAFE_INTEGER,
        log: (line) => {
          if (line.startsWith('stdout: ')) stdout.push(line.slice('stdout: '.length));
          else ctx.log(line);
        },
      }).catch((e: unknown) => { throw new ScanRunError(`running ${image} failed: ${errorText(e)}`); });
      if (outcome.timedOut) throw new ScanRunError(`scanner container killed after the timeout of ${ctx.timeoutMs} ms`, true);
      if (outcome.aborted) throw new ScanRunError('scanner container killed: scan aborted');
      let text = stdout.join('\n');
      if (this.cfg.reportFile) {
        const file = join(scratch, 'output', this.cfg.reportFile);
        if (!existsSync(file)) throw new ScanRunError(`the scanner exited with code ${outcome.exitCode} and wrote no ${this.cfg.reportFile}`);
        text = readFileSync(file, 'utf8');
      } else if (outcome.exitCode !== 0 && text.trim() === '') {
        throw new ScanRunError(`the scanner exited with code ${outcome.exitCode} and printed no report`);
      }
      return { text };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  private async ensureImage(image: string, credential: RegistryCredential | undefined, ctx: RunContext): Promise<void> {
    const policy = this.cfg.pull;
    if (policy !== 'always' && await imagePresent(this.docker, image)) return;
    if (policy === 'never') throw new ScanRunError(`scanner image ${image} is not present and pull is 'never'`);
    ctx.log(`pulling ${image}${credential ? ` as ${credential.username}` : ''}`);
    try {
      const stream = await this.docker.pull(image, credential ? { authconfig: credential } : {});
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
          const failed = output?.find((o) => o.error);
          if (err) reject(err);
          else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
          else resolve();
        });
      });
    } catch (e) {
      throw new ScanRunError(`pulling ${image} failed${statusCode(e) ? ` (${statusCode(e)})` : ''}: ${errorText(e)}`);
    }
  }
}
