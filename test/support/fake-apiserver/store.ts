// In-memory object storage with apiserver bookkeeping: a global
// resourceVersion counter, uids and creation timestamps.

import { randomUUID } from 'node:crypto';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export class ObjectStore {
  private readonly byResource = new Map<string, Map<string, KubeObject>>();
  private rv = 1000;

  private bucket(resource: string): Map<string, KubeObject> {
    let b = this.byResource.get(resource);
    if (!b) this.byResource.set(resource, (b = new Map()));
    return b;
  }

  currentResourceVersion(): string {
    return String(this.rv);
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    const o = this.bucket(resource).get(`${namespace}/${name}`);
    return o && structuredClone(o);
  }

  list(resource: string, namespace?: string): KubeObject[] {
    return [...this.bucket(resource).values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
      .map((o) => structuredClone(o));
  }

  /** Stamps bookkeeping fields and stores; `persist: false` only stamps (dry run). */
  write(resource: string, obj: KubeObject, persist = true): KubeObject {
    const out = structuredClone(obj);
    const key = `${out.metadata.namespace}/${out.metadata.name}`;
    const prev = this.bucket(resource).get(key);
    out.metadata.uid = prev?.metadata.uid ?? out.metadata.uid ?? randomUUID();
    out.metadata.creationTimestamp = prev?.metadata.creationTimestamp ?? out.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    out.metadata.resourceVersion = persist ? String(++this.rv) : (prev?.metadata.resourceVersion ?? out.metadata.resourceVersion);
    if (persist) this.bucket(resource).set(key, structuredClone(out));
    return out;
  }

  remove(resource: string, namespace: string, name: string): boolean {
    return this.bucket(resource).delete(`${namespace}/${name}`);
  }
}
