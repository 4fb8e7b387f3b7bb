// `runner: kubernetes-job`: a Job runs the scanner image in the cluster; the
// report is its pod's log. The Job (and its pods) are deleted afterwards.

import { apiCode, apiMessage, loadKubeAccess, SCAN_MANAGED_LABELS, SCAN_MANAGED_SELECTOR, type KubeAccess } from './kube.js';
import { abortableDelay, expandArgs, ScanRunError, type RunContext, type RunOutput, type ScanRunner } from './types.js';

export interface KubernetesJobConfig {
  image: string;
  args: string[];
  namespace: string;
  kubeConfigFile?: string;
}

const POLL_MS = 500;

export class KubernetesJobRunner implements ScanRunner {
  readonly kind = 'kubernetes-job';
  private access?: KubeAccess;

  constructor(private readonly cfg: KubernetesJobConfig, private readonly env: NodeJS.ProcessEnv) {}

  private kube(): KubeAccess {
    return (this.access ??= loadKubeAccess(this.cfg.kubeConfigFile, this.env));
  }

  async run(ctx: RunContext): Promise<RunOutput> {
    const kube = this.kube();
    const namespace = this.cfg.namespace;
    const name = `hooker-scan-${ctx.scanId.replace(/[^a-z0-9]/g, '').slice(0, 12)}`;
    const args = expandArgs(this.cfg.args, ctx);
    const deadline = Date.now() + ctx.timeoutMs;
    try {
      await kube.batch.createNamespacedJob({
        namespace,
        body: {
          metadata: { name, labels: { ...SCAN_MANAGED_LABELS } },
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: Math.max(1, Math.ceil(ctx.timeoutMs / 1000)),
            template: {
              metadata: { labels: { ...SCAN_MANAGED_LABELS, 'job-name': name } },
              spec: { restartPolicy: 'Never', automountServiceAccountToken: false, containers: [{ name: 'scanner', image: this.cfg.image, args }] },
            },
          },
        },
      });
      ctx.log(`job ${namespace}/${name} created`);
      for (;;) {
        const job = await kube.batch.readNamespacedJob({ name, namespace });
        if ((job.status?.succeeded ?? 0) > 0 || (job.status?.failed ?? 0) > 0) break;
        if (Date.now() + POLL_MS > deadline) throw new ScanRunError(`job ${namespace}/${name} not finished within ${ctx.timeoutMs} ms`, true);
        await abortableDelay(POLL_MS, ctx.signal);
      }
      const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
      const pod = pods.items[0]?.metadata?.name;
      if (!pod) throw new ScanRunError(`job ${namespace}/${name} finished without a pod to read the report from`);
      const text = await kube.core.readNamespacedPodLog({ name: pod, namespace, container: 'scanner' });
      return { text: String(text) };
    } catch (e) {
      if (e instanceof ScanRunError) throw e;
      throw new ScanRunError(`job ${namespace}/${name}: ${apiMessage(e)}`);
    } finally {
      await kube.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }).catch((e: unknown) => {
        if (apiCode(e) !== 404) ctx.log(`deleting job ${namespace}/${name}: ${apiMessage(e)}`);
      });
    }
  }

  async sweep(log: (line: string) => void): Promise<number> {
    const kube = this.kube();
    const jobs = await kube.batch.listNamespacedJob({ namespace: this.cfg.namespace, labelSelector: SCAN_MANAGED_SELECTOR });
    let n = 0;
    for (const j of jobs.items) {
      const name = j.metadata?.name;
      if (!name) continue;
      await kube.batch.deleteNamespacedJob({ name, namespace: this.cfg.namespace, propagationPolicy: 'Background' }).then(() => { n++; log(`swept job ${name}`); }, () => undefined);
    }
    return n;
  }
}
