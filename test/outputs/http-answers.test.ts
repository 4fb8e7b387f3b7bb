// Every HTTP-based output classifies a service's answers the same way, and
// none lets its secrets into a delivery record:
//   429 + Retry-After -> retried after that long; 408 -> retried;
//   other 4xx -> dead at once with the service's text; 5xx / refused -> retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, deliver, startPeer, type Peer } from './peer.js';
import type { ActionFactory } from '../../src/actions/types.js';
import { slackAction } from '../../src/actions/outputs/slack.js';
import { teamsAction } from '../../src/actions/outputs/teams.js';
import { jiraAction } from '../../src/actions/outputs/jira.js';
import { servicenowAction } from '../../src/actions/outputs/servicenow.js';
import { splunkAction } from '../../src/actions/outputs/splunk.js';
import { opsgenieAction } from '../../src/actions/outputs/opsgenie.js';
import { pagerdutyAction } from '../../src/actions/outputs/pagerduty.js';
import { dependencytrackAction } from '../../src/actions/outputs/dependencytrack.js';
import { nexusiqAction } from '../../src/actions/outputs/nexusiq.js';
import { alertmanagerAction } from '../../src/actions/outputs/alertmanager.js';
import { lokiAction } from '../../src/actions/outputs/loki.js';
import { elasticsearchAction } from '../../src/actions/outputs/elasticsearch.js';
import { mattermostAction } from '../../src/actions/outputs/mattermost.js';
import { discordAction } from '../../src/actions/outputs/discord.js';
import { googlechatAction } from '../../src/actions/outputs/googlechat.js';
import { rocketchatAction } from '../../src/actions/outputs/rocketchat.js';

const SECRET = 'Sup3rS3cretValue';
const bom = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.4', components: [] });
const xmlBom = '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4"></bom>';

/** Each output with a config whose secret is SECRET and a message it accepts. */
const outputs: Array<[string, ActionFactory, (url: string) => Record<string, unknown>, { title?: string; body?: string }]> = [
  ['slack', slackAction, (u) => ({ url: `${u}/services/T/B/${SECRET}` }), {}],
  ['teams', teamsAction, (u) => ({ url: `${u}/webhookb2/${SECRET}` }), {}],
  ['jira', jiraAction, (u) => ({ url: u, token: SECRET, 'project-key': 'sec' }), {}],
  ['serviceNow', servicenowAction, (u) => ({ instance: u, user: 'svc', password: SECRET }), {}],
  ['splunk', splunkAction, (u) => ({ url: u, token: SECRET }), {}],
  ['opsgenie', opsgenieAction, (u) => ({ url: u, token: SECRET }), {}],
  ['pagerduty', pagerdutyAction, (u) => ({ url: `${u}/v2/enqueue`, 'pagerduty-routing-key': SECRET }), {}],
  ['dependencytrack', dependencytrackAction, (u) => ({ url: u, 'dependency-track-api-key': SECRET }), { title: 'shop:1.0', body: bom }],
  ['nexusIq', nexusiqAction, (u) => ({ url: u, user: 'admin', password: SECRET, 'organization-id': 'org1' }), { title: 'shop', body: xmlBom }],
  ['alertmanager', alertmanagerAction, (u) => ({ url: u, token: SECRET }), {}],
  ['loki', lokiAction, (u) => ({ url: u, token: SECRET }), {}],
  ['elasticsearch', elasticsearchAction, (u) => ({ url: u, 'api-key': SECRET }), {}],
  ['mattermost', mattermostAction, (u) => ({ url: `${u}/hooks/${SECRET}` }), {}],
  ['discord', discordAction, (u) => ({ url: `${u}/api/webhooks/1/${SECRET}` }), {}],
  ['googlechat', googlechatAction, (u) => ({ url: `${u}/v1/spaces/A/messages?key=k&token=${SECRET}` }), {}],
  ['rocketchat', rocketchatAction, (u) => ({ url: `${u}/hooks/id/${SECRET}` }), {}],
];

let peer: Peer;
beforeAll(async () => { peer = await startPeer(() => ({ status: 200 })); });
afterAll(() => peer.close());

const noSecret = (r: unknown) => {
  const text = JSON.stringify(r);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(Buffer.from(SECRET).toString('base64'));
};

describe.each(outputs)('%s', (_name, factory, config, message) => {
  const run = async (answer: { status: number; body?: unknown; headers?: Record<string, string> }) => {
    peer.handle(() => answer);
    const action = build(factory, config(peer.url));
    try { return await deliver(action, { title: 'Alert', body: 'body', ...message }); } finally { await action.close?.(); }
  };

  it('429 with Retry-After is retried no sooner than asked', async () => {
    const r = await run({ status: 429, headers: { 'retry-after': '12' }, body: { message: 'rate limited' } });
    expect(r).toMatchObject({ ok: false, retryable: true, retryAfterMs: 12_000 });
    noSecret(r);
  });

  it('a 400 is dead at once with the service\'s error text', async () => {
    const r = await run({ status: 400, body: { error: 'field priority is invalid' } });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain('field priority is invalid');
    noSecret(r);
  });

  it('a 401 naming the credential in its text never echoes it', async () => {
    const r = await run({ status: 401, body: `invalid credential ${SECRET}` });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain('[redacted]');
    noSecret(r);
  });

  it('408 and 5xx are retried', async () => {
    expect(await run({ status: 408, body: 'timeout' })).toMatchObject({ ok: false, retryable: true });
    const r = await run({ status: 502, body: 'bad gateway' });
    expect(r).toMatchObject({ ok: false, retryable: true });
    noSecret(r);
  });

  it('a refused connection is retried', async () => {
    const action = build(factory, config('http://127.0.0.1:1'));
    const r = await deliver(action, { title: 'Alert', body: 'body', ...message });
    await action.close?.();
    expect(r).toMatchObject({ ok: false, retryable: true });
    noSecret(r);
  });
});
