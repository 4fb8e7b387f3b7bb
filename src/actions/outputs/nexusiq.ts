// `nexusIq`: uploads the CycloneDX BOM the template yields to Sonatype
// Nexus IQ as a third-party scan, as Postee does: the title names the
// application (".", ":" and "/" become "_"), which is looked up in
// `organization-id` and created when missing; the BOM (XML) is posted to
// /api/v2/scan/applications/<id>/sources/cyclone. Keys: `url`, `user`,
// `password`, `organization-id`.

import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, basicAuth, jsonOf } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions, trimSlash } from './common.js';

export function nexusAppName(title: string): string {
  return title.replace(/[.:/]/g, '_');
}

export const nexusiqAction = defineAction({
  type: 'nexusIq',
  keys: ['url', 'user', 'password', 'organization-id', ...HTTP_OUTPUT_KEYS],
  secrets: ['password'],
  parse(r) {
    const url = r.url('url', true);
    const user = r.string('user', true);
    const password = r.secret('password', true);
    const org = r.string('organization-id', true);
    if (!url || !user || !password || !org) return undefined;
    return { url: trimSlash(url), user, password, org, ...httpOptions(r), timeoutMs: r.timeout('timeout', 120_000) };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    const auth = basicAuth(s.user, s.password);
    const json = { authorization: auth, 'content-type': 'application/json', accept: 'application/json' };
    return {
      name,
      type: 'nexusIq',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const app = nexusAppName(ctx.message.title.trim());
        if (!app) return { ok: false, retryable: false, detail: 'the template gives no title (the Nexus IQ application name)' };
        const bom = ctx.message.body.trim();
        if (!bom.startsWith('<') || !/<bom[\s>]/.test(bom)) return { ok: false, retryable: false, detail: 'the template result is not a CycloneDX XML BOM: use a template that yields one' };
        const list = await client.call({ method: 'GET', url: `${s.url}/api/v2/applications/organization/${encodeURIComponent(s.org)}`, headers: json }, ctx.signal, 'Nexus IQ (applications)');
        if (list.failed) return list.failed;
        const apps = (jsonOf(list.res.body) as { applications?: Array<{ id: string; publicId: string }> } | undefined)?.applications ?? [];
        let id = apps.find((a) => a.publicId === app)?.id;
        const changed: string[] = [];
        if (!id) {
          const created = await client.call({ url: `${s.url}/api/v2/applications`, headers: json, body: JSON.stringify({ publicId: app, name: app, organizationId: s.org }) }, ctx.signal, 'Nexus IQ (create application)');
          if (created.failed) return created.failed;
          id = (jsonOf(created.res.body) as { id?: string } | undefined)?.id;
          if (!id) return { ok: false, retryable: true, detail: 'Nexus IQ created the application but returned no id' };
          changed.push(`application ${app} created`);
        }
        const scan = await client.call({ url: `${s.url}/api/v2/scan/applications/${encodeURIComponent(id)}/sources/cyclone`, headers: { authorization: auth, 'content-type': 'application/xml' }, body: bom }, ctx.signal, 'Nexus IQ (scan)');
        if (scan.failed) return { ...scan.failed, changed };
        const status = (jsonOf(scan.res.body) as { statusUrl?: string } | undefined)?.statusUrl;
        return { ok: true, detail: `Nexus IQ accepted the BOM for ${app}${status ? ` (${status})` : ''}`, changed: [...changed, `BOM submitted for ${app}`] };
      },
      close: () => client.close(),
    };
  },
});
