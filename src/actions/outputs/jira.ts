// `jira`: opens an issue. Like Postee (go-jira), it speaks REST API v2 to
// both Jira Cloud and Server/Data Center (the v2 description is wiki-markup
// text, which Postee's jira templates produce; v3 would need ADF).
// Auth: Cloud `user` (email) + API token in `password` (Basic); Server/DC a
// personal access token in `token` (Bearer), or user + password.
// Keys and defaults as in Postee: `url`, `project-key` (upper-cased),
// `issuetype` (Task), `priority` (High), `assignee` (first entry; default the
// user), `labels`, `fix-versions`, `affects-versions`, `board` (default
// "<project-key> board"), `sprint`, `tls-verify` (default false: Postee did
// not verify), `unknowns` (custom fields by id or by name).
// A scrum board's active sprint (or the one named by `sprint`) receives the
// issue through the Agile API after it is created.

import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, basicAuth, jsonOf, type OutputRequest } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions, trimSlash } from './common.js';
import { htmlToText } from './message-text.js';

export const JIRA_DEFAULT_ISSUE_TYPE = 'Task';
export const JIRA_DEFAULT_PRIORITY = 'High';
const SYSTEM_FIELD = /^(customfield_\d+|components|environment|duedate|reporter|timetracking|security|parent)$/;

export function isJiraCloud(url: string): boolean {
  try { return new URL(url).hostname.endsWith('atlassian.net'); } catch { return false; }
}

export const jiraAction = defineAction({
  type: 'jira',
  keys: ['url', 'user', 'password', 'token', 'project-key', 'issuetype', 'priority', 'assignee', 'labels', 'fix-versions', 'affects-versions', 'board', 'sprint', 'summary', 'unknowns', ...HTTP_OUTPUT_KEYS],
  secrets: ['password', 'token'],
  parse(r) {
    const url = r.url('url', true);
    const user = r.string('user');
    const password = r.secret('password');
    const token = r.secret('token');
    const project = r.string('project-key', true)?.toUpperCase();
    if (token && url && isJiraCloud(url)) r.problem('token', 'Jira Cloud does not take personal access tokens: give user and an API token in password');
    if (!token && !(user && password)) r.problem('password', 'give user and password (Jira Cloud: an API token) or token (a Server/Data Center personal access token)');
    if (!url || !project) return undefined;
    const assignee = r.stringList('assignee');
    return {
      url: trimSlash(url), user, password, token, project,
      issuetype: r.string('issuetype') ?? JIRA_DEFAULT_ISSUE_TYPE,
      priority: r.string('priority') ?? JIRA_DEFAULT_PRIORITY,
      assignee: assignee[0] ?? user,
      labels: r.stringList('labels'), fixVersions: r.stringList('fix-versions'), affectsVersions: r.stringList('affects-versions'),
      board: r.string('board') ?? `${project} board`, boardGiven: r.has('board'), sprint: r.string('sprint'), summary: r.string('summary'),
      unknowns: r.stringMap('unknowns'),
      ...httpOptions(r, false),
    };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    const auth = s.token ? `Bearer ${s.token}` : basicAuth(s.user ?? '', s.password ?? '');
    const cloud = isJiraCloud(s.url);
    const req = (method: string, path: string, body?: unknown): OutputRequest => ({
      method, url: `${s.url}${path}`, headers: { authorization: auth, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    let fieldIds: Map<string, string> | undefined;

    return {
      name,
      type: 'jira',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const fields: Record<string, unknown> = {
          project: { key: s.project },
          issuetype: { name: s.issuetype },
          summary: (s.summary ?? ctx.message.title.trim() ?? '').slice(0, 255) || 'Hooker alert',
          description: htmlToText(ctx.message.body),
          priority: { name: s.priority },
        };
        if (s.labels.length) fields.labels = s.labels;
        if (s.fixVersions.length) fields.fixVersions = s.fixVersions.map((n) => ({ name: n }));
        if (s.affectsVersions.length) fields.versions = s.affectsVersions.map((n) => ({ name: n }));
        if (s.assignee) {
          if (cloud) {
            const found = await client.call(req('GET', `/rest/api/2/user/search?query=${encodeURIComponent(s.assignee)}`), ctx.signal, 'Jira (user search)');
            const id = found.res ? (jsonOf(found.res.body) as Array<{ accountId?: string }> | undefined)?.[0]?.accountId : undefined;
            if (id) fields.assignee = { accountId: id };
            else ctx.log(`assignee ${s.assignee} not found; the issue is left unassigned`);
          } else fields.assignee = { name: s.assignee };
        }
        const custom = Object.entries(s.unknowns);
        if (custom.some(([k]) => !SYSTEM_FIELD.test(k))) {
          if (!fieldIds) {
            const list = await client.call(req('GET', '/rest/api/2/field'), ctx.signal, 'Jira (fields)');
            if (list.failed) return list.failed;
            fieldIds = new Map(((jsonOf(list.res.body) as Array<{ id: string; name: string }> | undefined) ?? []).map((f) => [f.name.toLowerCase(), f.id]));
          }
        }
        for (const [k, v] of custom) {
          const id = SYSTEM_FIELD.test(k) ? k : fieldIds?.get(k.toLowerCase());
          if (!id) return { ok: false, retryable: false, detail: `unknowns: Jira has no field named "${k}"` };
          fields[id] = v;
        }
        const created = await client.call(req('POST', '/rest/api/2/issue', { fields }), ctx.signal, 'Jira');
        if (created.failed) return created.failed;
        const issue = jsonOf(created.res.body) as { key?: string } | undefined;
        const key = issue?.key ?? '?';
        const changed = [`issue ${key} created in ${s.project}`];
        if (s.sprint || s.boardGiven) {
          const note = await addToSprint(key, ctx);
          if (note) ctx.log(note); else changed.push(`issue ${key} added to the active sprint`);
        }
        return { ok: true, detail: `Jira created ${key}`, changed };
      },
      close: () => client.close(),
    };

    /** Puts the issue into the board's active sprint; a returned text says why it did not. */
    async function addToSprint(key: string, ctx: DeliveryContext): Promise<string | undefined> {
      const boards = await client.call(req('GET', `/rest/agile/1.0/board?projectKeyOrId=${encodeURIComponent(s.project)}&name=${encodeURIComponent(s.board)}`), ctx.signal, 'Jira (boards)');
      if (boards.failed) return `sprint not set: ${boards.failed.detail}`;
      const board = ((jsonOf(boards.res.body) as { values?: Array<{ id: number; name: string; type: string }> } | undefined)?.values ?? []).find((b) => b.name === s.board);
      if (!board) return `sprint not set: no board named "${s.board}"`;
      if (board.type !== 'scrum') return `sprint not set: board "${s.board}" is ${board.type}, not scrum`;
      const sprints = await client.call(req('GET', `/rest/agile/1.0/board/${board.id}/sprint?state=active`), ctx.signal, 'Jira (sprints)');
      if (sprints.failed) return `sprint not set: ${sprints.failed.detail}`;
      const list = (jsonOf(sprints.res.body) as { values?: Array<{ id: number; name: string }> } | undefined)?.values ?? [];
      const sprint = s.sprint ? list.find((x) => x.name === s.sprint) : list[0];
      if (!sprint) return `sprint not set: no active sprint${s.sprint ? ` named "${s.sprint}"` : ''} on board "${s.board}"`;
      const moved = await client.call(req('POST', `/rest/agile/1.0/sprint/${sprint.id}/issue`, { issues: [key] }), ctx.signal, 'Jira (sprint)');
      return moved.failed ? `sprint not set: ${moved.failed.detail}` : undefined;
    }
  },
});
