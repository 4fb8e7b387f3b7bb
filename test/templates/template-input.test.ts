// What templates see as input: the event's own `hooker` keys (scan verdicts)
// stay next to the server's; events that are not objects reach templates as they are.

import { describe, expect, it } from 'vitest';
import { compileTemplates } from '../../src/templates/compile-templates.js';
import { loadTemplateLibrary } from '../../src/templates/template-files.js';
import { templateInput } from '../../src/templates/template-input.js';
import { scanCompletedEvent } from '../../src/scan/events.js';

const body = `package scanmsg
import rego.v1
title := sprintf("scan %s: %s", [input.hooker.scan.state, input.hooker.route])
result := {"passed": input.hooker.scan.passed, "broken": input.hooker.scan.broken, "event": input.hooker.event_id}
`;

describe('template input', () => {
  it('a scan.completed event keeps passed/state/broken next to the server keys', async () => {
    const compiled = await compileTemplates([{ name: 'scan', source: { kind: 'body', body }, path: 'templates[0]' }], { cfgFile: 'cfg.yaml', library: loadTemplateLibrary({}) });
    expect(compiled.problems).toEqual([]);
    const event = scanCompletedEvent({
      id: 's1', state: 'failed', targetKey: 'image:alpine', request: { scanner: 'trivy', target: { kind: 'image', image: 'alpine:3' } },
    } as never, { report: { artifact: 'alpine:3', format: 'trivy', findings: [] }, raw: {}, threshold: { compliance: 50, broken: [{ limit: 'failed.critical.max', actual: 2, allowed: 0 }] } } as never);
    const out = compiled.renderers.get('scan')!.render(templateInput(event, { routeName: 'scans', eventId: 'ev-1' }));
    expect(out.title).toBe('scan failed: scans');
    expect(JSON.parse(out.body)).toEqual({ passed: false, broken: [{ limit: 'failed.critical.max', actual: 2, allowed: 0 }], event: 'ev-1' });
  });

  it('server keys win over an event that tries to set them', () => {
    const input = templateInput({ hooker: { route: 'forged', extra: 1 } }, { routeName: 'real', eventId: 'e' }) as { hooker: Record<string, unknown> };
    expect(input.hooker).toMatchObject({ route: 'real', extra: 1, event_id: 'e' });
  });

  it('arrays and scalars are passed unchanged', () => {
    expect(templateInput([1, 2], { routeName: 'r', eventId: 'e' })).toEqual([1, 2]);
    expect(templateInput('text', { routeName: 'r', eventId: 'e' })).toBe('text');
    expect(templateInput(null, { routeName: 'r', eventId: 'e' })).toBe(null);
  });
});
