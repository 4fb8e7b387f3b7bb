#!/usr/bin/env node
// The test stand-in for `cinc-auditor exec PROFILE -t k8s-container://NS/POD/CONTAINER --reporter json`.
// With the KUBECONFIG Hooker wrote for it, it probes what the temporary
// credentials allow (get the target pod, list secrets, read another pod,
// exec into the target), writes those answers to $PROBE_OUT, then prints the
// shared InSpec fixture report. Profile `crash` exits 2 without a report,
// profile `hang` never finishes. No real scanner is involved.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse } from 'yaml';

const args = process.argv.slice(2);
const profile = args[1];
const target = args[args.indexOf('-t') + 1];
const [, namespace, pod, container] = /^k8s-container:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(target) ?? [];
const kubeconfigPath = process.env.KUBECONFIG;
const kc = parse(readFileSync(kubeconfigPath, 'utf8'));
const cluster = kc.clusters[0].cluster;
const token = kc.users[0].user.token;
const ca = Buffer.from(cluster['certificate-authority-data'], 'base64');

function call(method, path) {
  return new Promise((resolve, reject) => {
    const req = request(`${cluster.server}${path}`, { method, ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, message: body.includes('"message"') ? JSON.parse(body).message : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

const probe = {
  args, namespace, pod, container, kubeconfigPath,
  kubeconfigMode: (statSync(kubeconfigPath).mode & 0o777).toString(8),
  kubeconfigUsers: kc.users.length,
  getTarget: await call('GET', `/api/v1/namespaces/${namespace}/pods/${pod}`),
  listSecrets: await call('GET', `/api/v1/namespaces/${namespace}/secrets`),
  getOtherPod: await call('GET', `/api/v1/namespaces/${namespace}/pods/db`),
  listPods: await call('GET', `/api/v1/namespaces/${namespace}/pods`),
  execTarget: await call('POST', `/api/v1/namespaces/${namespace}/pods/${pod}/exec?container=${container}&command=id`),
};
writeFileSync(process.env.PROBE_OUT, JSON.stringify(probe));
if (profile === 'crash') { console.error('profile failed to load'); process.exit(2); }
if (profile === 'hang') await new Promise((r) => setTimeout(r, 60_000));
process.stdout.write(readFileSync(new URL('../../../../shared/fixtures/inspec-json-output.json', import.meta.url)));
// InSpec exits 100 when controls fail: the report still counts.
process.exit(100);
