// `dependencytrack`: uploads the CycloneDX BOM the template yields to
// Dependency-Track (PUT /api/v1/bom, `X-Api-Key`). As in Postee the title is
// "project:version" (the project is created when missing) and the result is
// the BOM (JSON), sent base64-encoded. Dependency-Track answers with a
// processing token.

import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, jsonOf } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions, trimSlash } from './common.js';

export const dependencytrackAction = defineAction({
  type: 'dependencytrack',
  keys: ['url', 'dependency-track-api-key', ...HTTP_OUTPUT_KEYS],
  secrets: ['dependency-track-api-key'],
  parse(r) {
    const url = r.url('url', true);
    const apiKey = r.secret('dependency-track-api-key', true);
    if (!url || !apiKey) return undefined;
    return { url: trimSlash(url), apiKey, ...httpOptions(r) };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    return {
      name,
      type: 'dependencytrack',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const title = ctx.message.title.trim();
        const colon = title.indexOf(':');
        if (colon <= 0 || colon === title.length - 1) return { ok: false, retryable: false, detail: `the template's title must be "project:version", got "${title}"` };
        const bom = jsonOf(ctx.message.body);
        if (!bom || typeof bom !== 'object' || (bom as { bomFormat?: string }).bomFormat !== 'CycloneDX') {
          return { ok: false, retryable: false, detail: 'the template result is not a CycloneDX JSON BOM (bomFormat "CycloneDX"): use a template that yields one' };
        }
        const upload = {
          projectName: title.slice(0, colon), projectVersion: title.slice(colon + 1), autoCreate: true,
          bom: Buffer.from(JSON.stringify(bom)).toString('base64'),
        };
        const r = await client.call({ method: 'PUT', url: `${s.url}/api/v1/bom`, headers: { 'x-api-key': s.apiKey, 'content-type': 'application/json' }, body: JSON.stringify(upload) }, ctx.signal, 'Dependency-Track');
        if (r.failed) return r.failed;
        const token = (jsonOf(r.res.body) as { token?: string } | undefined)?.token;
        return { ok: true, detail: `Dependency-Track accepted the BOM of ${title}${token ? ` (token ${token})` : ''}`, changed: [`BOM uploaded to ${title}`] };
      },
      close: () => client.close(),
    };
  },
});
