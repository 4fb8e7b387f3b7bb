// Adds labels/annotations to one object with a JSON merge patch carrying the
// resourceVersion it was computed from; on 409 Conflict it re-reads and
// re-checks the object and tries again.

import type { setHeaderOptions, V1ObjectMeta } from '@kubernetes/client-node';
import { kubernetesClient } from '../../lazy-libraries.js';
import { isStatus } from './api-errors.js';

export interface MetadataChange {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type PatchOutcome = 'changed' | 'unchanged' | 'gone' | 'no-longer-selected';

export interface PatchableObject {
  metadata?: V1ObjectMeta;
}

export interface ObjectAccess<T extends PatchableObject> {
  read(): Promise<T>;
  patch(body: object, dryRun: boolean, options: ReturnType<typeof setHeaderOptions>): Promise<T>;
}

export const MAX_CONFLICT_RETRIES = 5;

const includes = (have: Record<string, string> | undefined, want: Record<string, string>): boolean =>
  Object.entries(want).every(([k, v]) => have?.[k] === v);

export async function patchMetadata<T extends PatchableObject>(
  access: ObjectAccess<T>,
  initial: T,
  change: MetadataChange,
  opts: { dryRun: boolean; stillSelected?: (obj: T) => boolean; log(line: string): void },
): Promise<PatchOutcome> {
  let current = initial;
  const { setHeaderOptions: headerOptions, PatchStrategy } = kubernetesClient();
  const mergePatch = headerOptions('Content-Type', PatchStrategy.MergePatch);
  for (let attempt = 0; ; attempt++) {
    if (opts.stillSelected && !opts.stillSelected(current)) return 'no-longer-selected';
    if (includes(current.metadata?.labels, change.labels) && includes(current.metadata?.annotations, change.annotations)) return 'unchanged';
    const metadata: Record<string, unknown> = { resourceVersion: current.metadata?.resourceVersion };
    if (Object.keys(change.labels).length) metadata.labels = change.labels;
    if (Object.keys(change.annotations).length) metadata.annotations = change.annotations;
    try {
      await access.patch({ metadata }, opts.dryRun, mergePatch);
      return 'changed';
    } catch (e) {
      if (isStatus(e, 404)) return 'gone';
      if (!isStatus(e, 409) || attempt >= MAX_CONFLICT_RETRIES) throw e;
      opts.log(`${current.metadata?.name}: conflict (resourceVersion ${current.metadata?.resourceVersion}), re-reading`);
      try {
        current = await access.read();
      } catch (re) {
        if (isStatus(re, 404)) return 'gone';
        throw re;
      }
    }
  }
}
