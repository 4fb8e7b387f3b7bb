// `awssecurityhub`: imports findings into AWS Security Hub with
// BatchImportFindings (AWS SDK v3). A template result that is ASFF (a
// finding, a list of them, or {"Findings": [...]}) is imported as it is, in
// batches of 100 (the API's limit); any other message becomes one finding.
// Credentials: `access-key-id` + `secret-access-key`, else the SDK's default
// chain (env, profile, instance role). `region` (default AWS_REGION),
// `account-id` (for findings built from plain messages), `endpoint`
// (VPC endpoints, tests).

import { createHash } from 'node:crypto';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { securityHubClient } from '../../lazy-libraries.js';
import type { DeliveryContext, DeliveryResult, RenderedMessage } from '../types.js';
import { defineAction } from '../define.js';
import { describeError, jsonOf } from './http-output.js';
import { htmlToText } from './message-text.js';

const BATCH = 100;

function asffList(body: string): AwsSecurityFinding[] | undefined {
  const v = jsonOf(body);
  const list = Array.isArray(v) ? v : v && typeof v === 'object' && Array.isArray((v as { Findings?: unknown }).Findings) ? (v as { Findings: unknown[] }).Findings : v && typeof v === 'object' && 'SchemaVersion' in (v as object) ? [v] : undefined;
  return list?.every((f) => f && typeof f === 'object' && 'SchemaVersion' in (f as object)) ? list as AwsSecurityFinding[] : undefined;
}

export function findingOf(m: RenderedMessage, opts: { region: string; accountId: string; route: string }): AwsSecurityFinding {
  const now = new Date().toISOString();
  const title = (m.title.trim() || 'Hooker alert').slice(0, 256);
  return {
    SchemaVersion: '2018-10-08',
    Id: `hooker/${opts.route}/${createHash('sha256').update(title).digest('hex').slice(0, 32)}`,
    ProductArn: `arn:aws:securityhub:${opts.region}:${opts.accountId}:product/${opts.accountId}/default`,
    GeneratorId: `hooker-${opts.route}`,
    AwsAccountId: opts.accountId,
    Types: ['Software and Configuration Checks/Vulnerabilities'],
    CreatedAt: now,
    UpdatedAt: now,
    Severity: { Label: 'HIGH' },
    Title: title,
    Description: (htmlToText(m.body) || title).slice(0, 1024),
    Resources: [{ Type: 'Other', Id: opts.route }],
    ...(m.url ? { SourceUrl: m.url } : {}),
  };
}

export const awssecurityhubAction = defineAction({
  type: 'awssecurityhub',
  keys: ['region', 'account-id', 'access-key-id', 'secret-access-key', 'endpoint', 'timeout'],
  secrets: ['secret-access-key'],
  parse(r, env) {
    const region = r.string('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) r.problem('region', '"region" is required (or AWS_REGION)');
    const accessKeyId = r.string('access-key-id');
    const secretAccessKey = r.secret('secret-access-key');
    if (!!accessKeyId !== !!secretAccessKey) r.problem('access-key-id', 'give both access-key-id and secret-access-key, or neither (the SDK default credentials)');
    const accountId = r.string('account-id');
    if (accountId && !/^\d{12}$/.test(accountId)) r.problem('account-id', `"${accountId}" is not a 12-digit AWS account id`);
    const endpoint = r.url('endpoint', false);
    if (!region) return undefined;
    return { region, accountId, accessKeyId, secretAccessKey, endpoint, timeoutMs: r.timeout('timeout', 30_000) };
  },
  build(s, { name }) {
    const { SecurityHubClient, BatchImportFindingsCommand } = securityHubClient();
    const client = new SecurityHubClient({
      region: s.region,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(s.accessKeyId ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey! } } : {}),
      maxAttempts: 1, // Hooker's delivery queue retries
    });
    return {
      name,
      type: 'awssecurityhub',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        let findings = asffList(ctx.message.body);
        if (!findings) {
          if (!s.accountId) return { ok: false, retryable: false, detail: 'the template result is not ASFF and account-id is not set to build a finding from it' };
          findings = [findingOf(ctx.message, { region: s.region, accountId: s.accountId, route: ctx.routeName })];
        }
        let ok = 0;
        const failed: string[] = [];
        for (let i = 0; i < findings.length; i += BATCH) {
          try {
            const res = await client.send(new BatchImportFindingsCommand({ Findings: findings.slice(i, i + BATCH) }), { abortSignal: AbortSignal.any([ctx.signal, AbortSignal.timeout(s.timeoutMs)]) as never });
            ok += res.SuccessCount ?? 0;
            for (const f of res.FailedFindings ?? []) failed.push(`${f.Id}: ${f.ErrorCode} ${f.ErrorMessage}`);
          } catch (e) {
            const err = e as { $metadata?: { httpStatusCode?: number }; name?: string; message?: string };
            const status = err.$metadata?.httpStatusCode;
            const retryable = status === undefined || status >= 500 || status === 429 || err.name === 'ThrottlingException' || err.name === 'LimitExceededException';
            return { ok: false, retryable, detail: `Security Hub: ${err.name ?? 'error'}${status ? ` (${status})` : ''}: ${status ? err.message : describeError(e, s.timeoutMs)}${ok ? ` after ${ok} finding(s) imported` : ''}` };
          }
        }
        if (failed.length) return { ok: false, retryable: false, detail: `Security Hub refused ${failed.length} finding(s): ${failed.slice(0, 3).join('; ')}` };
        return { ok: true, detail: `Security Hub imported ${ok} finding(s)` };
      },
      async close() { client.destroy(); },
    };
  },
});
