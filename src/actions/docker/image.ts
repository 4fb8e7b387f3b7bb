// Makes the action's image available according to `docker-pull`.

import type Docker from 'dockerode';
import type { PullPolicy } from './config.js';

export class ImageUnavailableError extends Error {
  constructor(message: string, public readonly retryable: boolean) {
    super(message);
    this.name = 'ImageUnavailableError';
  }
}

/** `repo` alone means `repo:latest` (the engine would otherwise pull every tag). */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

export async function imagePresent(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (e) {
    if (statusCode(e) === 404) return false;
    throw e;
  }
}

/** Returns whether a pull happened. */
export async function ensureImage(docker: Docker, image: string, policy: PullPolicy, log: (line: string) => void): Promise<boolean> {
  const ref = withDefaultTag(image);
  if (policy !== 'always' && (await imagePresent(docker, ref))) return false;
  if (policy === 'never') throw new ImageUnavailableError(`image ${ref} is not present and docker-pull is 'never'`, false);
  log(`pulling ${ref}`);
  try {
    const stream = await docker.pull(ref);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = output?.find((o) => o.error);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve();
      });
    });
  } catch (e) {
    const code = statusCode(e);
    // 404: no such repository/tag; retrying will not conjure it up.
    throw new ImageUnavailableError(`pulling ${ref} failed: ${errorText(e)}`, code !== 404 && code !== 401 && code !== 403);
  }
  return true;
}

export function statusCode(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number'
    ? (e as { statusCode: number }).statusCode : undefined;
}

export function errorText(e: unknown): string {
  if (e && typeof e === 'object') {
    const json = (e as { json?: { message?: string } }).json;
    if (json?.message) return json.message;
  }
  return e instanceof Error ? e.message : String(e);
}
