// Postee's sample cfg.yaml with every action type enabled (Postee's keys and
// spellings: serviceNow, nexusIq, `type: Webhook`...), pointing at local
// peers: it validates, a real `hooker serve` process starts with it, and
// each action delivers one Trivy and one Tracee event that its peer accepts
// (raw JSON to every action; the bundled Slack, HTML and Jira templates to
// the outputs they fit).
// Peers check what each service checks (paths, auth, required fields);
// Alertmanager and NATS are the real servers when installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { SMTPServer } from 'smtp-server';
import { connect, type NatsConnection } from 'nats';
import { startPeer, type Peer, type PeerAnswer, type PeerRequest } from './peer.js';
import { findBinary, freePort, startServer, type RealServer } from './real-server.js';
import { buildRuntime, closeActions } from '../../src/server/runtime.js';
import { startHooker, type HookerProcess } from '../e2e/hooker-process.js';

const trivy = JSON.parse(readFileSync(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url), 'utf8'));
const tracee = JSON.parse(readFileSync(new URL('../../../shared/fixtures/tracee-trc1-finding.json', import.meta.url), 'utf8'));
const amBin = findBinary('/usr/bin/prometheus-alertmanager', '/usr/sbin/prometheus-alertmanager');
const natsBin = findBinary('/usr/sbin/nats-server', '/usr/bin/nats-server');
if (!amBin || !natsBin) console.warn('postee-sample: alertmanager/nats actions left out: prometheus-alertmanager or nats-server is not installed (.ci/run installs them)');

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
type Check = (req: PeerRequest) => PeerAnswer | undefined;
const bad = (status: number, body: unknown): PeerAnswer => ({ status, body });

/** Service -> [path test, what its API checks, its success answer]. */
const SERVICES: Record<string, [RegExp, Check, PeerAnswer]> = {
  slack: [/^\/services\/T0\/B0\/slackToken0000$/, (r) => {
    const blocks = (r.json() as { blocks?: Array<{ type?: string; text?: { text?: string } }> }).blocks;
    const ok = Array.isArray(blocks) && blocks.length > 0 && blocks.length <= 50 && blocks.every((b) => typeof b.type === 'string' && (b.type !== 'section' || (b.text?.text?.length ?? 0) <= 3000));
    return ok ? undefined : bad(400, 'invalid_blocks');
  }, { status: 200, body: 'ok' }],
  teams: [/^\/webhookb2\//, (r) => ((r.json() as { attachments?: unknown[] }).attachments?.length ? undefined : bad(400, 'Bad payload received by generic incoming webhook.')), { status: 202, body: '' }],
  webhook: [/^\/webhook$/, () => undefined, { status: 200, body: 'ok' }],
  jira: [/^\/rest\/api\/2\/issue$/, (r) => (r.headers.authorization === basic('jdoe@example.com', 'jira-api-token') && (r.json() as { fields: { project: { key: string } } }).fields.project.key === 'SEC' ? undefined : bad(401, { errorMessages: ['auth'] })), { status: 201, body: { id: '1', key: 'SEC-1' } }],
  serviceNow: [/^\/api\/now\/table\/incident$/, (r) => (r.headers.authorization === basic('svc', 'snow-pass') ? undefined : bad(401, { error: { message: 'User Not Authenticated' } })), { status: 201, body: { result: { number: 'INC0000001' } } }],
  splunk: [/^\/services\/collector\/event$/, (r) => (r.headers.authorization === 'Splunk hec-token' ? undefined : bad(403, { text: 'Invalid token', code: 4 })), { status: 200, body: { text: 'Success', code: 0 } }],
  opsgenie: [/^\/v2\/alerts$/, (r) => (r.headers.authorization === 'GenieKey og-key' ? undefined : bad(401, { message: 'Could not authenticate' })), { status: 202, body: { result: 'Request will be processed', requestId: 'x' } }],
  pagerduty: [/^\/v2\/enqueue$/, (r) => ((r.json() as { routing_key?: string; dedup_key?: string }).routing_key === 'pd-routing-key' ? undefined : bad(400, { status: 'invalid event', errors: ['routing_key'] })), { status: 202, body: { status: 'success', message: 'Event processed' } }],
  dependencytrack: [/^\/api\/v1\/bom$/, (r) => (r.headers['x-api-key'] === 'odt_apikey' && r.method === 'PUT' ? undefined : bad(401, 'Unauthorized')), { status: 200, body: { token: 't-1' } }],
  nexusIqApps: [/^\/api\/v2\/applications\/organization\/org-1$/, () => undefined, { status: 200, body: { applications: [] } }],
  nexusIqCreate: [/^\/api\/v2\/applications$/, (r) => ((r.json() as { publicId: string }).publicId.match(/[.:/]/) ? bad(400, 'invalid id') : undefined), { status: 200, body: { id: 'app-1' } }],
  nexusIq: [/^\/api\/v2\/scan\/applications\/app-1\/sources\/cyclone$/, (r) => (r.headers['content-type'] === 'application/xml' && r.body.includes('<bom') ? undefined : bad(400, 'not a BOM')), { status: 202, body: { statusUrl: 'api/v2/scan/status/1' } }],
  awssecurityhub: [/^\/findings\/import$/, (r) => (/^AWS4-HMAC-SHA256 Credential=AKIDPOSTEE\//.test(String(r.headers.authorization)) ? undefined : bad(403, { message: 'The security token included in the request is invalid.' })), { status: 200, body: { FailedCount: 0, SuccessCount: 1, FailedFindings: [] } }],
  loki: [/^\/loki\/api\/v1\/push$/, () => undefined, { status: 204 }],
  elasticsearch: [/^\/_bulk$/, (r) => (r.headers['content-type'] === 'application/x-ndjson' ? undefined : bad(406, {})), { status: 200, body: { errors: false, items: [{ index: { status: 201 } }] } }],
  mattermost: [/^\/hooks\/mattermostHook0$/, () => undefined, { status: 200, body: 'ok' }],
  discord: [/^\/api\/webhooks\/1\/discordTok$/, (r) => ((r.json() as { embeds?: unknown[] }).embeds?.length ? undefined : bad(400, { code: 50006 })), { status: 204 }],
  googlechat: [/^\/v1\/spaces\/S\/messages\?key=k&token=gchatToken$/, () => undefined, { status: 200, body: { name: 'spaces/S/messages/1' } }],
  rocketchat: [/^\/hooks\/rcid\/rcToken$/, () => undefined, { status: 200, body: { success: true } }],
};

function cfgYaml(p: { http: string; smtpPort: number; syslogPort: number; am?: string; nats?: string; dir: string }): string {
  return `# Postee's sample cfg.yaml (v2), every action enabled, pointing at local peers.
name: tenant
aqua-server: https://myserver.example.com
max-db-size: 1000MB
delete-old-data: 100
db-verify-interval: 1

routes:
- name: all-outputs
  actions: [my-slack, ms-team, webhook, my-jira, my-servicenow, splunk, opsgenie, pagerduty, aws-security-hub,
            my-email, loki, elasticsearch, mattermost, discord, googlechat, rocketchat, syslog${p.am ? ', alertmanager' : ''}${p.nats ? ', nats' : ''}]
  template: raw-json
- name: trivy-slack
  input: input.ArtifactName
  actions: [slack-blocks]
  template: trivy-slack
- name: tracee-slack
  input: input.SigMetadata.ID == "TRC-1"
  actions: [slack-blocks]
  template: tracee-slack
- name: trivy-html
  input: input.ArtifactName
  actions: [teams-html, email-html]
  template: trivy-html
- name: tracee-html
  input: input.SigMetadata.ID == "TRC-1"
  actions: [teams-html, email-html]
  template: tracee-html
- name: trivy-jira
  input: input.ArtifactName
  actions: [jira-wiki]
  template: trivy-jira
- name: sbom
  actions: [dependency-track]
  template: cyclonedx
- name: sbom-xml
  actions: [nexus-iq]
  template: cyclonedx-xml

templates:
- name: raw-json
  rego-package: hooker.rawmessage.json
- name: trivy-slack
  rego-package: hooker.trivy.slack
- name: tracee-slack
  rego-package: hooker.tracee.slack
- name: trivy-html
  rego-package: hooker.trivy.html
- name: tracee-html
  rego-package: hooker.tracee.html
- name: trivy-jira
  rego-package: hooker.trivy.jira
- name: cyclonedx
  body: |
    package test.cyclonedx
    import rego.v1
    artifact := object.get(input, "ArtifactName", object.get(object.get(input, "Context", {}), "containerId", "unknown"))
    title := sprintf("%s:1.0", [artifact])
    components := [{"type": "library", "name": v.PkgName, "version": v.InstalledVersion} | some r in object.get(input, "Results", []); some v in object.get(r, "Vulnerabilities", [])]
    result := {"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": components}
- name: cyclonedx-xml
  body: |
    package test.cyclonedx.xml
    import rego.v1
    title := object.get(input, "ArtifactName", "container")
    items := [sprintf("<component type=\\"library\\"><name>%s</name><version>%s</version></component>", [v.PkgName, v.InstalledVersion]) | some r in object.get(input, "Results", []); some v in object.get(r, "Vulnerabilities", [])]
    result := concat("", ["<?xml version=\\"1.0\\"?><bom xmlns=\\"http://cyclonedx.org/schema/bom/1.4\\" version=\\"1\\"><components>", concat("", items), "</components></bom>"])

actions:
- name: my-slack
  type: slack
  enable: true
  url: $SLACK_URL
  rate-limit: 1/s

- name: slack-blocks
  type: slack
  enable: true
  url: $SLACK_URL

- name: teams-html
  type: teams
  enable: true
  url: ${p.http}/webhookb2/teamsHookId0000

- name: email-html
  type: email
  enable: true
  user: alerts@example.com
  password: smtp-pass
  host: 127.0.0.1
  port: ${p.smtpPort}
  sender: alerts@example.com
  recipients: ["soc@example.com"]
  require-tls: true
  tls-verify: false

- name: jira-wiki
  type: jira
  enable: true
  url: ${p.http}
  user: jdoe@example.com
  password: $JIRA_API_TOKEN
  project-key: SEC

- name: ms-team
  type: teams
  enable: true
  url: ${p.http}/webhookb2/teamsHookId0000

- name: webhook
  type: Webhook
  enable: true
  url: ${p.http}/webhook

- name: my-jira
  type: jira
  enable: true
  url: ${p.http}
  user: jdoe@example.com
  password: $JIRA_API_TOKEN
  project-key: sec
  tls-verify: false
  labels: ["label1", "label2"]

- name: my-servicenow
  type: serviceNow
  enable: true
  user: svc
  password-file: ${p.dir}/snow-password
  instance: ${p.http}
  board: incident

- name: splunk
  type: splunk
  enable: true
  url: ${p.http}
  token: hec-token
  size-limit: 1000000

- name: opsgenie
  type: opsgenie
  enable: true
  token: og-key
  url: ${p.http}
  user: hooker
  assignee: ["alice"]
  tags: ["security"]

- name: pagerduty
  type: pagerduty
  enable: true
  pagerduty-auth-token: pd-auth-token
  pagerduty-routing-key: pd-routing-key
  url: ${p.http}/v2/enqueue

- name: dependency-track
  type: dependencytrack
  enable: true
  url: ${p.http}
  dependency-track-api-key: odt_apikey

- name: nexus-iq
  type: nexusIq
  enable: true
  url: ${p.http}
  user: admin
  password: iq-pass
  organization-id: org-1

- name: aws-security-hub
  type: awssecurityhub
  enable: true
  region: us-east-1
  account-id: "123456789012"
  access-key-id: AKIDPOSTEE
  secret-access-key: aws-secret
  endpoint: ${p.http}

- name: my-email
  type: email
  enable: true
  user: alerts@example.com
  password: smtp-pass
  host: 127.0.0.1
  port: ${p.smtpPort}
  sender: alerts@example.com
  recipients: ["soc@example.com"]
  require-tls: true
  tls-verify: false

- name: loki
  type: loki
  enable: true
  url: ${p.http}
- name: elasticsearch
  type: elasticsearch
  enable: true
  url: ${p.http}
- name: mattermost
  type: mattermost
  enable: true
  url: ${p.http}/hooks/mattermostHook0
- name: discord
  type: discord
  enable: true
  url: ${p.http}/api/webhooks/1/discordTok
- name: googlechat
  type: googlechat
  enable: true
  url: ${p.http}/v1/spaces/S/messages?key=k&token=gchatToken
- name: rocketchat
  type: rocketchat
  enable: true
  url: ${p.http}/hooks/rcid/rcToken
- name: syslog
  type: syslog
  enable: true
  host: 127.0.0.1
  port: ${p.syslogPort}
${p.am ? `- name: alertmanager\n  type: alertmanager\n  enable: true\n  url: ${p.am}\n` : ''}${p.nats ? `- name: nats\n  type: nats\n  enable: true\n  url: ${p.nats}\n  subject: hooker.alerts\n` : ''}`;
}

describe("Postee's sample cfg.yaml with every action enabled", () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-postee-sample-'));
  let peer: Peer;
  let smtp: SMTPServer;
  let udp: Socket;
  let am: RealServer | undefined;
  let nats: RealServer | undefined;
  let natsConn: NatsConnection | undefined;
  let hooker: HookerProcess | undefined;
  const accepted = new Map<string, number>();
  const mails: string[] = [];
  const syslogLines: string[] = [];
  const natsMsgs: string[] = [];
  let cfgFile = '';
  let env: Record<string, string> = {};
  let amUrl: string | undefined;

  beforeAll(async () => {
    peer = await startPeer((req) => {
      for (const [name, [path, checkFn, ok]] of Object.entries(SERVICES)) {
        if (!path.test(req.path)) continue;
        const refused = checkFn(req);
        if (refused) return refused;
        const service = name.startsWith('nexusIq') ? 'nexusIq' : name;
        if (name === 'nexusIq' || !name.startsWith('nexusIq')) accepted.set(service, (accepted.get(service) ?? 0) + 1);
        return ok;
      }
      return { status: 404, body: `no such path ${req.path}` };
    });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    smtp = new SMTPServer({
      key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')), authMethods: ['PLAIN', 'LOGIN'],
      onAuth: (a, _s, cb) => (a.username === 'alerts@example.com' && a.password === 'smtp-pass' ? cb(null, { user: a.username }) : cb(new Error('Invalid login'))),
      onData(stream, session, cb) { let t = ''; stream.on('data', (b: Buffer) => { t += b; }); stream.on('end', () => { if (session.secure) mails.push(t); cb(); }); },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    udp = createSocket('udp4');
    udp.on('message', (m) => syslogLines.push(m.toString()));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    if (amBin) {
      const port = await freePort();
      amUrl = `http://127.0.0.1:${port}`;
      writeFileSync(join(dir, 'am.yml'), 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
      am = await startServer(amBin, [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
        async () => (await request(`${amUrl}/-/ready`)).statusCode === 200);
    }
    let natsUrl: string | undefined;
    if (natsBin) {
      const port = await freePort();
      natsUrl = `nats://127.0.0.1:${port}`;
      nats = await startServer(natsBin, ['-a', '127.0.0.1', '-p', String(port)], async () => { const c = await connect({ servers: natsUrl, timeout: 500 }); await c.close(); return true; });
      natsConn = await connect({ servers: natsUrl });
      const sub = natsConn.subscribe('hooker.alerts');
      void (async () => { for await (const m of sub) natsMsgs.push(new TextDecoder().decode(m.data)); })();
      await natsConn.flush();
    }
    writeFileSync(join(dir, 'snow-password'), 'snow-pass\n');
    writeFileSync(join(dir, 'jira-token'), 'jira-api-token');
    cfgFile = join(dir, 'cfg.yaml');
    writeFileSync(cfgFile, cfgYaml({ http: peer.url, smtpPort: (smtp.server.address() as AddressInfo).port, syslogPort: (udp.address() as AddressInfo).port, am: amUrl, nats: natsUrl, dir }));
    env = { SLACK_URL: `${peer.url}/services/T0/B0/slackToken0000`, JIRA_API_TOKEN_FILE: join(dir, 'jira-token') };
  }, 180_000);

  afterAll(async () => {
    await hooker?.stop();
    await natsConn?.close();
    await Promise.all([am?.stop(), nats?.stop(), peer?.close(), new Promise<void>((r) => smtp.close(() => r()))]);
    udp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('validates: every type is known, with Postee\'s spellings', async () => {
    const built = await buildRuntime({ cfgPath: cfgFile, env, filtersPath: 'rego/filters' });
    expect(built.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const types = new Set([...built.runtime!.actions.values()].map((a) => a.type));
    for (const t of ['slack', 'teams', 'webhook', 'jira', 'serviceNow', 'splunk', 'opsgenie', 'pagerduty', 'dependencytrack', 'nexusIq', 'awssecurityhub', 'email', 'loki', 'elasticsearch', 'mattermost', 'discord', 'googlechat', 'rocketchat', 'syslog']) expect(types).toContain(t);
    await closeActions(built.runtime!.actions.values());
  }, 180_000);

  it('serves, and each action delivers the Trivy and the Tracee event to a peer that accepts them', async () => {
    hooker = await startHooker({ HOOKER_CFG: cfgFile, HOOKER_ADMIN_TOKEN: 'adm', REGO_FILTERS_PATH: 'rego/filters', ...env }, { startTimeoutMs: 280_000 });
    for (const event of [trivy, tracee]) {
      const res = await request(`${hooker.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
      expect(res.statusCode).toBeLessThan(300);
      await res.body.text();
    }
    // 19 actions get both events; the template routes add 2 slack, 2 teams, 2 email and 1 jira delivery.
    const deliveriesCount = (19 + (amUrl ? 1 : 0) + (natsBin ? 1 : 0)) * 2 + 7;
    let listing: { deliveries: Array<{ action: string; state: string; detail?: string }> } = { deliveries: [] };
    const end = Date.now() + 120_000;
    while (Date.now() < end) {
      listing = await (await request(`${hooker.url}/deliveries?limit=500`, { headers: { authorization: 'Bearer adm' } })).body.json() as typeof listing;
      if (listing.deliveries.length >= deliveriesCount && listing.deliveries.every((d) => d.state !== 'pending' && d.state !== 'running')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const notOk = listing.deliveries.filter((d) => d.state !== 'succeeded');
    expect(notOk).toEqual([]);
    expect(listing.deliveries.length).toBe(deliveriesCount);
    for (const service of ['slack', 'teams', 'webhook', 'jira', 'serviceNow', 'splunk', 'opsgenie', 'pagerduty', 'dependencytrack', 'nexusIq', 'awssecurityhub', 'loki', 'elasticsearch', 'mattermost', 'discord', 'googlechat', 'rocketchat']) {
      const extra = { slack: 2, teams: 2, jira: 1 }[service] ?? 0;
      expect([service, accepted.get(service)]).toEqual([service, 2 + extra]);
    }
    expect(mails).toHaveLength(4);
    expect(syslogLines).toHaveLength(2);
    if (natsBin) expect(natsMsgs.map((m) => Object.keys(JSON.parse(m)).sort()[0])).toHaveLength(2);
    if (amUrl) {
      const alerts = await (await request(`${amUrl}/api/v2/alerts`)).body.json() as unknown[];
      expect(alerts.length).toBeGreaterThanOrEqual(1);
    }
    const out = hooker.output();
    for (const secret of ['slackToken0000', 'jira-api-token', 'snow-pass', 'aws-secret', 'smtp-pass', 'hec-token']) expect(out).not.toContain(secret);
  }, 420_000);
});
