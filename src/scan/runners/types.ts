// What a scanner runner is given and returns. A runner only produces the
// report text; normalizing and thresholds happen in the worker.

import type { PodTarget, ScanTarget } from '../types.js';

export interface RunContext {
  scanId: string;
  target: ScanTarget;
  /** The profile reference (after config lookup), for InSpec-style scanners. */
  profile?: string;
  timeoutMs: number;
  signal: AbortSignal;
  log(line: string): void;
  /** A .dockerconfigjson document for this scan only (e.g. from a pod's imagePullSecrets). */
  registryAuth?: string;
}

export interface RunOutput {
  /** The report as the scanner wrote it (stdout or its report file). */
  text: string;
}

export interface ScanRunner {
  readonly kind: string;
  run(ctx: RunContext): Promise<RunOutput>;
  /** Removes what an earlier crashed process left behind; returns how many objects. */
  sweep?(log: (line: string) => void): Promise<number>;
  close?(): Promise<void>;
}

export class ScanRunError extends Error {
  constructor(message: string, public readonly timedOut = false) {
    super(message);
    this.name = 'ScanRunError';
  }
}

/**
 * Expands `{target}`, `{image}`, `{namespace}`, `{pod}`, `{container}`,
 * `{url}`, `{profile}`, `{scan_id}` and extra values (`{kubeconfig}`,
 * `{output}`) in a scanner's argument templates. A `{name}` that is unknown
 * or has no value for this scan is an error, never an empty argument.
 */
export function expandArgs(templates: readonly string[], ctx: Pick<RunContext, 'target' | 'profile' | 'scanId'>, extra: Record<string, string> = {}): string[] {
  const t = ctx.target;
  const pod: Partial<PodTarget> = 'pod' in t ? t.pod : {};
  const values: Record<string, string | undefined> = {
    target: 'image' in t ? t.image : 'url' in t ? t.url : `${pod.namespace}/${pod.name}${pod.container ? `/${pod.container}` : ''}`,
    image: 'image' in t ? t.image : undefined,
    url: 'url' in t ? t.url : undefined,
    namespace: pod.namespace,
    pod: pod.name,
    container: pod.container,
    profile: ctx.profile,
    scan_id: ctx.scanId,
    ...extra,
  };
  return templates.map((arg) => {
    const out = arg.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
      const v = values[name];
      if (v === undefined) throw new ScanRunError(`argument ${JSON.stringify(arg)}: {${name}} has no value for this scan`);
      return v;
    });
    // Targets are checked when queued; this is the last line: a value that
    // would make an argument of its own start with `-` is never passed.
    if (out.startsWith('-') && !arg.startsWith('-')) throw new ScanRunError(`argument ${JSON.stringify(arg)} would become the option ${JSON.stringify(out.slice(0, 100))}: refused`);
    return out;
  });
}

/** Resolves after `ms` or rejects early when the signal aborts. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(new ScanRunError('aborted')); return; }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(timer); reject(new ScanRunError('aborted')); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
