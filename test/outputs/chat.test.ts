// Chat outputs against peers that check what each service checks (path,
// method, content type, payload shape and size limits) and answer as it does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { build, check, deliver, startPeer, type Peer, type PeerRequest } from './peer.js';
import { slackAction, SLACK_MAX_BLOCKS, SLACK_MAX_SECTION_TEXT } from '../../src/actions/outputs/slack.js';
import { teamsAction, TEAMS_MAX_PAYLOAD_BYTES } from '../../src/actions/outputs/teams.js';
import { mattermostAction, MATTERMOST_MAX_TEXT } from '../../src/actions/outputs/mattermost.js';
import { rocketchatAction, ROCKETCHAT_MAX_TEXT } from '../../src/actions/outputs/rocketchat.js';
import { googlechatAction, GOOGLECHAT_MAX_TEXT } from '../../src/actions/outputs/googlechat.js';
import { discordAction } from '../../src/actions/outputs/discord.js';

const trivy = JSON.parse(readFileSync(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url), 'utf8'));
const SLACK_PATH = '/services/T0001/B0001/s3cretWebhookToken';

/** What Slack's incoming webhooks check. */
function slackPeer(req: PeerRequest) {
  if (req.method !== 'POST' || req.path !== SLACK_PATH) return { status: 404, body: 'no_service' };
  if (!String(req.headers['content-type']).startsWith('application/json')) return { status: 400, body: 'invalid_payload' };
  let p: { text?: string; blocks?: Array<{ type: string; text?: { text: string } }> };
  try { p = req.json() as typeof p; } catch { return { status: 400, body: 'invalid_payload' }; }
  if (!p.text && !p.blocks?.length) return { status: 400, body: 'no_text' };
  const blocks = p.blocks ?? [];
  return check(blocks.length <= 50, 400, 'invalid_blocks')
    ?? check(blocks.every((b) => b.type !== 'section' || (b.text?.text.length ?? 0) <= 3000), 400, 'invalid_blocks')
    ?? check(blocks.every((b) => b.type !== 'header' || (b.text?.text.length ?? 0) <= 150), 400, 'invalid_blocks')
    ?? { status: 200, body: 'ok' };
}

describe('slack', () => {
  let peer: Peer;
  beforeAll(async () => { peer = await startPeer(slackPeer); });
  afterAll(() => peer.close());

  it("posts Postee's block list (trailing comma, no brackets) under a header", async () => {
    const body = '{"type":"section","text":{"type":"mrkdwn","text":"*CVE-2021-1*"}},{"type":"divider"},';
    const r = await deliver(build(slackAction, { url: peer.url + SLACK_PATH }), { title: 'alpine:3.10 scan', body });
    expect(r).toMatchObject({ ok: true });
    const p = peer.requests.at(-1)!.json() as { text: string; blocks: unknown[] };
    expect(p.text).toBe('alpine:3.10 scan');
    expect(p.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'alpine:3.10 scan', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: '*CVE-2021-1*' } },
      { type: 'divider' },
    ]);
  });

  it('cuts a message over 50 blocks to 50, the last saying how many were left out and linking the full message', async () => {
    const blocks = Array.from({ length: 120 }, (_, i) => ({ type: 'section', text: { type: 'mrkdwn', text: `finding ${i}` } }));
    const r = await deliver(build(slackAction, { url: peer.url + SLACK_PATH }), { title: 'big', body: JSON.stringify(blocks), url: 'https://hooker.example/events/e-1' });
    expect(r.ok).toBe(true);
    const p = peer.requests.at(-1)!.json() as { blocks: Array<{ text?: { text: string } }> };
    expect(p.blocks).toHaveLength(SLACK_MAX_BLOCKS);
    expect(p.blocks.at(-1)!.text!.text).toBe('… 72 blocks left out (size limit); full message: https://hooker.example/events/e-1');
  });

  it('turns a long text result into sections of at most 3,000 characters', async () => {
    const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    const r = await deliver(build(slackAction, { url: peer.url + SLACK_PATH }), { title: 't', body: text });
    expect(r.ok).toBe(true);
    const p = peer.requests.at(-1)!.json() as { blocks: Array<{ type: string; text: { text: string } }> };
    const sections = p.blocks.filter((b) => b.type === 'section');
    expect(sections.length).toBeGreaterThan(5);
    expect(sections.every((s) => s.text.text.length <= SLACK_MAX_SECTION_TEXT)).toBe(true);
    expect(sections.map((s) => s.text.text).join('\n')).toBe(text);
  });

  it('cuts a section over 3,000 characters with the notice', async () => {
    const body = JSON.stringify([{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(5000) } }]);
    expect((await deliver(build(slackAction, { url: peer.url + SLACK_PATH }), { body })).ok).toBe(true);
    const s = (peer.requests.at(-1)!.json() as { blocks: Array<{ text: { text: string } }> }).blocks[1]!.text.text;
    expect(s.length).toBeLessThanOrEqual(3000);
    expect(s).toMatch(/… \d+ characters left out \(size limit\)$/);
  });

  it('a Trivy report through a generic template is delivered', async () => {
    expect((await deliver(build(slackAction, { url: peer.url + SLACK_PATH }), { title: trivy.ArtifactName, body: JSON.stringify(trivy, null, 1) })).ok).toBe(true);
  });

  it('a wrong webhook (404 no_service) is dead at once, and the webhook token never shows', async () => {
    const r = await deliver(build(slackAction, { url: `${peer.url}/services/T0001/B0001/wrongToken` }), { body: 'x' });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain('404: no_service');
    expect(r.detail).not.toContain('wrongToken');
  });
});

describe('teams', () => {
  let peer: Peer;
  beforeAll(async () => {
    // Workflows/incoming webhooks: an Adaptive Card message, at most ~28 KB.
    peer = await startPeer((req) => {
      if (req.method !== 'POST' || !req.path.startsWith('/webhookb2/')) return { status: 404, body: '' };
      if (Buffer.byteLength(req.body) > 28 * 1024) return { status: 413, body: 'Payload too large' };
      const p = req.json() as { type?: string; attachments?: Array<{ contentType: string; content: { type: string; body: unknown[] } }> };
      const card = p.attachments?.[0];
      return check(p.type === 'message' && card?.contentType === 'application/vnd.microsoft.card.adaptive' && card.content.type === 'AdaptiveCard' && card.content.body.length > 0,
        400, 'Bad payload received by generic incoming webhook.') ?? { status: 202, body: '' };
    });
  });
  afterAll(() => peer.close());

  it('posts an Adaptive Card with the title and the text of an HTML template', async () => {
    const r = await deliver(build(teamsAction, { url: `${peer.url}/webhookb2/abc` }), { title: 'alpine:3.10', body: '<p>3 <b>critical</b> vulnerabilities</p><br>fix now' });
    expect(r.ok).toBe(true);
    const card = (peer.requests.at(-1)!.json() as { attachments: Array<{ content: { body: Array<{ text: string }> } }> }).attachments[0]!.content;
    expect(card.body.map((b) => b.text)).toEqual(['alpine:3.10', '3 critical vulnerabilities\n\nfix now']);
  });

  it('keeps the payload under the size limit, saying how much was left out', async () => {
    const r = await deliver(build(teamsAction, { url: `${peer.url}/webhookb2/abc` }), { title: 't', body: 'z'.repeat(100_000), url: 'https://hooker.example/e/1' });
    expect(r.ok).toBe(true);
    const raw = peer.requests.at(-1)!.body;
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(TEAMS_MAX_PAYLOAD_BYTES);
    expect(raw).toMatch(/characters left out \(size limit\); full message: https:\/\/hooker.example\/e\/1/);
  });

  it("a legacy connector's 200 with an error text fails the delivery", async () => {
    peer.handle(() => ({ status: 200, body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413' }));
    const r = await deliver(build(teamsAction, { url: `${peer.url}/webhookb2/abc` }), { body: 'x' });
    expect(r).toMatchObject({ ok: false, retryable: false });
  });
});

describe('text chat webhooks', () => {
  let peer: Peer;
  beforeAll(async () => { peer = await startPeer(() => ({ status: 200, body: 'ok' })); });
  afterAll(() => peer.close());

  it('mattermost: text (title bold), channel, username; cut to 16,383 characters', async () => {
    peer.handle((req) => check(String(req.headers['content-type']).startsWith('application/json') && typeof (req.json() as { text?: string }).text === 'string', 400, { id: 'web.incoming_webhook.text.app_error' }) ?? { status: 200, body: 'ok' });
    const r = await deliver(build(mattermostAction, { url: `${peer.url}/hooks/xyz`, channel: 'security', username: 'hooker' }), { title: 'T', body: 'w'.repeat(20_000) });
    expect(r.ok).toBe(true);
    const p = peer.requests.at(-1)!.json() as { text: string; channel: string; username: string };
    expect(p.channel).toBe('security');
    expect(p.username).toBe('hooker');
    expect(p.text.startsWith('**T**\n')).toBe(true);
    expect(p.text.length).toBeLessThanOrEqual(MATTERMOST_MAX_TEXT);
  });

  it('rocketchat: {"success": false} in a 200 answer fails the delivery', async () => {
    peer.handle((req) => ((req.json() as { text: string }).text.length > ROCKETCHAT_MAX_TEXT ? { status: 200, body: { success: false, error: 'error-message-size-exceeded' } } : { status: 200, body: { success: true } }));
    const ok = await deliver(build(rocketchatAction, { url: `${peer.url}/hooks/id/token` }), { body: 'v'.repeat(9000) });
    expect(ok.ok).toBe(true);
    peer.handle(() => ({ status: 200, body: { success: false, error: 'invalid-channel' } }));
    const bad = await deliver(build(rocketchatAction, { url: `${peer.url}/hooks/id/token` }), { body: 'x' });
    expect(bad).toMatchObject({ ok: false, retryable: false });
    expect(bad.detail).toContain('invalid-channel');
  });

  it('googlechat: text up to 4,096 characters, answered with the message resource', async () => {
    peer.handle((req) => {
      const p = req.json() as { text?: string };
      if (!req.path.includes('key=') || !p.text) return { status: 400, body: { error: { code: 400, message: 'Invalid JSON payload', status: 'INVALID_ARGUMENT' } } };
      if (p.text.length > 4096) return { status: 400, body: { error: { code: 400, message: 'Message text is too long', status: 'INVALID_ARGUMENT' } } };
      return { status: 200, body: { name: 'spaces/AAA/messages/BBB', text: p.text } };
    });
    const r = await deliver(build(googlechatAction, { url: `${peer.url}/v1/spaces/AAA/messages?key=k&token=t` }), { title: 'T', body: 'g'.repeat(10_000) });
    expect(r.ok).toBe(true);
    expect((peer.requests.at(-1)!.json() as { text: string }).text.length).toBeLessThanOrEqual(GOOGLECHAT_MAX_TEXT);
  });

  it('discord: one embed within its limits; 204 on success; a 429 carries Retry-After', async () => {
    peer.handle((req) => {
      const p = req.json() as { embeds?: Array<{ title: string; description: string }> };
      const e = p.embeds?.[0];
      if (!e) return { status: 400, body: { code: 50006, message: 'Cannot send an empty message' } };
      if (e.title.length > 256 || e.description.length > 4096) return { status: 400, body: { code: 50035, message: 'Invalid Form Body' } };
      return { status: 204 };
    });
    const r = await deliver(build(discordAction, { url: `${peer.url}/api/webhooks/1/tok` }), { title: 'x'.repeat(300), body: 'd'.repeat(5000) });
    expect(r.ok).toBe(true);
    peer.handle(() => ({ status: 429, headers: { 'retry-after': '3' }, body: { message: 'You are being rate limited.', retry_after: 3, global: false } }));
    const limited = await deliver(build(discordAction, { url: `${peer.url}/api/webhooks/1/tok` }), { body: 'x' });
    expect(limited).toMatchObject({ ok: false, retryable: true, retryAfterMs: 3000 });
  });
});
