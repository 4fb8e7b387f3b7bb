// Ticketing and paging outputs against peers that check what Jira, ServiceNow,
// Opsgenie and PagerDuty check and answer with their bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { build, deliver, startPeer, type Peer, type PeerRequest } from './peer.js';
import { jiraAction } from '../../src/actions/outputs/jira.js';
import { servicenowAction } from '../../src/actions/outputs/servicenow.js';
import { opsgenieAction } from '../../src/actions/outputs/opsgenie.js';
import { pagerdutyAction } from '../../src/actions/outputs/pagerduty.js';
import { actionTypes } from '../../src/actions/index.js';

const tracee = JSON.parse(readFileSync(new URL('../../../shared/fixtures/tracee-trc1-finding.json', import.meta.url), 'utf8'));
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('jira (REST API v2, as Postee)', () => {
  let peer: Peer;
  const issues: Array<Record<string, unknown>> = [];
  const sprintIssues: string[] = [];
  function jira(req: PeerRequest) {
    const auth = req.headers.authorization;
    if (auth !== 'Bearer pat-token-123' && auth !== basic('jdoe', 'api-token-xyz')) return { status: 401, body: { errorMessages: ['You are not authenticated. Authentication required to perform this operation.'], errors: {} } };
    if (req.method === 'GET' && req.path === '/rest/api/2/field') return { status: 200, body: [{ id: 'customfield_10100', name: 'Team', custom: true }, { id: 'summary', name: 'Summary' }] };
    if (req.method === 'GET' && req.path.startsWith('/rest/agile/1.0/board?')) return { status: 200, body: { values: [{ id: 7, name: 'SEC board', type: 'scrum' }] } };
    if (req.method === 'GET' && req.path === '/rest/agile/1.0/board/7/sprint?state=active') return { status: 200, body: { values: [{ id: 42, name: 'Sprint 9', state: 'active' }] } };
    if (req.method === 'POST' && req.path === '/rest/agile/1.0/sprint/42/issue') { sprintIssues.push(...(req.json() as { issues: string[] }).issues); return { status: 204 }; }
    if (req.method === 'POST' && req.path === '/rest/api/2/issue') {
      if (req.headers['content-type'] !== 'application/json') return { status: 415, body: '' };
      const f = (req.json() as { fields: Record<string, any> }).fields;
      const errors: Record<string, string> = {};
      if (f.project?.key !== 'SEC') errors.project = 'valid project is required';
      if (!f.summary) errors.summary = 'You must specify a summary of the issue.';
      if (!['Task', 'Bug'].includes(f.issuetype?.name)) errors.issuetype = 'The issue type selected is invalid.';
      if (!['High', 'Low'].includes(f.priority?.name)) errors.priority = `Priority name '${f.priority?.name}' is not valid`;
      if (typeof f.description !== 'string') errors.description = 'Operation value must be a string';
      if (Object.keys(errors).length) return { status: 400, body: { errorMessages: [], errors } };
      issues.push(f);
      return { status: 201, body: { id: '10001', key: `SEC-${issues.length}`, self: `${peer.url}/rest/api/2/issue/10001` } };
    }
    return { status: 404, body: { errorMessages: ['not found'] } };
  }
  beforeAll(async () => { peer = await startPeer(jira); });
  afterAll(() => peer.close());

  it('Server/DC with a personal access token: Task, High, assignee by name, labels, custom fields by name, active sprint', async () => {
    const r = await deliver(build(jiraAction, {
      url: peer.url, token: 'pat-token-123', 'project-key': 'sec', assignee: ['alice'], labels: ['security', 'tracee'],
      unknowns: { Team: 'Blue', customfield_10200: 'x' }, board: 'SEC board',
    }), { title: 'TRC-1 on web-1', body: '<h2>Anti-Debugging</h2><p>ptrace detected</p>' });
    expect(r).toMatchObject({ ok: true, detail: 'Jira created SEC-1' });
    expect(issues[0]).toEqual({
      project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'TRC-1 on web-1', description: 'Anti-Debugging\nptrace detected',
      priority: { name: 'High' }, labels: ['security', 'tracee'], assignee: { name: 'alice' }, customfield_10100: 'Blue', customfield_10200: 'x',
    });
    expect(sprintIssues).toEqual(['SEC-1']);
    expect(r.changed).toEqual(['issue SEC-1 created in SEC', 'issue SEC-1 added to the active sprint']);
  });

  it('user + API token (Basic); Jira\'s field errors are the dead delivery\'s reason', async () => {
    const r = await deliver(build(jiraAction, { url: peer.url, user: 'jdoe', password: 'api-token-xyz', 'project-key': 'SEC', priority: 'Urgent' }), { title: 't', body: JSON.stringify(tracee) });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain("Priority name 'Urgent' is not valid");
  });

  it('a custom field Jira does not have fails without creating anything', async () => {
    const before = issues.length;
    const r = await deliver(build(jiraAction, { url: peer.url, token: 'pat-token-123', 'project-key': 'SEC', unknowns: { Nope: '1' } }), { title: 't' });
    expect(r).toMatchObject({ ok: false, retryable: false, detail: 'unknowns: Jira has no field named "Nope"' });
    expect(issues.length).toBe(before);
  });

  it('config: Jira Cloud refuses personal access tokens; credentials are required', () => {
    expect(jiraAction.create({ name: 'j', url: 'https://acme.atlassian.net', token: 't', 'project-key': 'A' }, {}).problems.map((p) => p.path)).toContain('token');
    expect(jiraAction.create({ name: 'j', url: 'https://jira.local', 'project-key': 'A' }, {}).problems.map((p) => p.path)).toContain('password');
  });
});

describe('serviceNow (Table API)', () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await startPeer((req) => {
      if (req.headers.authorization !== basic('svc', 'pw-123456')) return { status: 401, body: { error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure' } };
      const m = /^\/api\/now\/table\/([a-z_]+)$/.exec(req.path);
      if (req.method !== 'POST' || !m) return { status: 400, body: { error: { message: 'Invalid table', detail: null }, status: 'failure' } };
      const rec = req.json() as { short_description?: string; description?: string };
      if (!rec.short_description) return { status: 400, body: { error: { message: 'short_description required' }, status: 'failure' } };
      return { status: 201, body: { result: { sys_id: 'abc123', number: 'INC0010001', short_description: rec.short_description } } };
    });
  });
  afterAll(() => peer.close());

  it('creates an incident (the default board) and reports its number', async () => {
    const r = await deliver(build(servicenowAction, { instance: peer.url, user: 'svc', password: 'pw-123456' }), { title: 'TRC-1', body: JSON.stringify(tracee) });
    expect(r).toMatchObject({ ok: true, detail: 'ServiceNow created incident INC0010001' });
    expect(peer.requests.at(-1)!.path).toBe('/api/now/table/incident');
    expect(peer.requests.at(-1)!.json()).toMatchObject({ short_description: 'TRC-1' });
  });

  it('type serviceNow matches as Postee spells it, and any case', () => {
    const types = actionTypes();
    expect(types.find('serviceNow')?.type).toBe('serviceNow');
    expect(types.find('servicenow')?.type).toBe('serviceNow');
    expect(types.find('NEXUSIQ')?.type).toBe('nexusIq');
  });

  it('an instance name means <name>.service-now.com', () => {
    expect(servicenowAction.parse({ name: 's', instance: 'acme', user: 'u', password: 'p' }, {}).problems).toEqual([]);
    expect(servicenowAction.parse({ name: 's', instance: 'ac me', user: 'u', password: 'p' }, {}).problems[0]!.path).toBe('instance');
  });
});

describe('opsgenie (Alert API v2)', () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await startPeer((req) => {
      if (req.headers.authorization !== 'GenieKey og-key-123456') return { status: 401, body: { message: 'Could not authenticate', took: 0, requestId: 'r0' } };
      if (req.method !== 'POST' || req.path !== '/v2/alerts') return { status: 404, body: { message: 'not found' } };
      const a = req.json() as { message?: string; priority?: string };
      if (!a.message) return { status: 422, body: { message: 'Request body is not processable. Please check the errors.', errors: { message: 'Message can not be empty.' }, took: 0.001, requestId: 'r1' } };
      if (a.message.length > 130) return { status: 422, body: { message: 'Request body is not processable.', errors: { message: 'Message can not be longer than 130 characters.' } } };
      if (a.priority && !/^P[1-5]$/.test(a.priority)) return { status: 422, body: { message: 'Request body is not processable.', errors: { priority: 'Priority should be one of [P1, P2, P3, P4, P5]' } } };
      return { status: 202, body: { result: 'Request will be processed', took: 0.107, requestId: '43a29c5c-3dbf-4fa4-9c26-f4f71023e120' } };
    });
  });
  afterAll(() => peer.close());

  it("posts Postee's fields: responders from assignee, visibleTo from recipients, P3 by default; the JSON result overrides per alert", async () => {
    const r = await deliver(build(opsgenieAction, { url: peer.url, token: 'og-key-123456', user: 'hooker', assignee: ['alice'], recipients: ['bob'], tags: ['sec'], alias: 'a1', entity: 'web' }),
      { title: 'x'.repeat(200), body: JSON.stringify({ description: 'ptrace', tags: 'tracee,trc-1', priority: 'P1' }) });
    expect(r.ok).toBe(true);
    expect(peer.requests.at(-1)!.json()).toEqual({
      message: 'x'.repeat(130), description: 'ptrace', alias: 'a1', entity: 'web', priority: 'P1', tags: ['sec', 'tracee', 'trc-1'],
      responders: [{ type: 'user', username: 'alice' }], visibleTo: [{ type: 'user', username: 'bob' }], user: 'hooker', source: 'hooker',
    });
    await deliver(build(opsgenieAction, { url: peer.url, token: 'og-key-123456' }), { title: 't', body: 'plain' });
    expect(peer.requests.at(-1)!.json()).toMatchObject({ priority: 'P3', description: 'plain' });
  });

  it('region eu uses the EU endpoint', () => {
    const p = opsgenieAction.parse({ name: 'o', token: 't', region: 'eu' }, {});
    expect((p.settings as { value: { url: string } }).value.url).toBe('https://api.eu.opsgenie.com');
  });
});

describe('pagerduty (Events API v2)', () => {
  let peer: Peer;
  const incidents = new Map<string, number>();
  beforeAll(async () => {
    peer = await startPeer((req) => {
      if (req.method !== 'POST' || req.path !== '/v2/enqueue') return { status: 404, body: '' };
      const e = req.json() as { routing_key?: string; event_action?: string; dedup_key?: string; payload?: { summary?: string; source?: string; severity?: string } };
      const errors: string[] = [];
      if (!e.routing_key || e.routing_key.length !== 32) errors.push("'routing_key' is missing or blank");
      if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action ?? '')) errors.push("'event_action' is invalid");
      if (!e.payload?.summary) errors.push("'payload.summary' is missing or blank");
      if (!e.payload?.source) errors.push("'payload.source' is missing or blank");
      if (!['critical', 'error', 'warning', 'info'].includes(e.payload?.severity ?? '')) errors.push("'payload.severity' is invalid");
      if (errors.length) return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
      incidents.set(e.dedup_key!, (incidents.get(e.dedup_key!) ?? 0) + 1);
      return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: e.dedup_key } };
    });
  });
  afterAll(() => peer.close());
  const key = 'R0UTINGKEY0123456789abcdef012345';

  it('triggers with a dedup key, so a repeat updates the same incident', async () => {
    const a = build(pagerdutyAction, { url: `${peer.url}/v2/enqueue`, 'pagerduty-routing-key': key, 'pagerduty-auth-token': 'ignored-token' });
    const first = await deliver(a, { title: 'TRC-1 Anti-Debugging', body: JSON.stringify(tracee) });
    const again = await deliver(a, { title: 'TRC-1 Anti-Debugging', body: JSON.stringify(tracee) });
    const other = await deliver(a, { title: 'TRC-2 something else', body: '{}' });
    expect([first.ok, again.ok, other.ok]).toEqual([true, true, true]);
    expect([...incidents.values()].sort()).toEqual([1, 2]);
    const sent = peer.requests[0]!.json() as { payload: { severity: string; source: string; custom_details: unknown } };
    expect(sent.payload).toMatchObject({ severity: 'critical', source: 'hooker', custom_details: tracee });
  });

  it("PagerDuty's validation errors are the reason of a dead delivery", async () => {
    const r = await deliver(build(pagerdutyAction, { url: `${peer.url}/v2/enqueue`, 'routing-key': 'short' }), { title: 't' });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain("'routing_key' is missing or blank");
  });
});
