// `legacy-scan-renderer: html|slack|jira` render an Aqua image scan with the
// structure of Postee's Go renderers (formatting/ and layout/ of Postee):
// goldens for the shared Aqua fixture, plus the rules those renderers follow.
// Regenerate with UPDATE_GOLDENS=1 after a deliberate change and review it.

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createLegacyRenderer, goQueryEscape } from '../../src/templates/legacy-scan-renderer.js';
import { templateInput } from '../../src/templates/template-input.js';
import { TemplateRenderError } from '../../src/templates/template-renderer.js';

const aqua = JSON.parse(readFileSync(new URL('../../../shared/fixtures/postee-aqua-input.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const golden = new URL('./golden/', import.meta.url);
const update = process.env['UPDATE_GOLDENS'] === '1';
const ctx = { routeName: 'legacy-route', eventId: 'e1', serverUrl: 'https://aqua.example' };

function render(kind: 'html' | 'slack' | 'jira', event: unknown = aqua) {
  return createLegacyRenderer('legacy', kind).render(templateInput(event, ctx, 'postee'));
}

function checkGolden(file: string, text: string) {
  const url = new URL(file, golden);
  if (update || !existsSync(url)) {
    if (!update) throw new Error(`no golden ${url.pathname}: run with UPDATE_GOLDENS=1 and review it`);
    writeFileSync(url, text);
  }
  expect(text).toBe(readFileSync(url, 'utf8'));
}

describe('legacy scan renderers', () => {
  for (const [kind, ext] of [['html', 'html'], ['jira', 'txt'], ['slack', 'json']] as const) {
    it(`${kind} renders the Aqua scan fixture to its golden`, () => {
      const out = render(kind);
      expect(out.title).toBe('all-in-one:3.5.19223 vulnerability scan report');
      expect(out.url).toBe('https://aqua.example/#/images/Aqua/all-in-one%3A3.5.19223');
      const body = kind === 'slack' ? JSON.stringify(JSON.parse(out.body), null, 2) + '\n' : out.body;
      checkGolden(`legacy.${kind}.${ext}`, `title: ${out.title}\nurl: ${out.url}\n---\n${body}`);
    });
  }

  it('html: paragraphs, summary table in severity colours, controls, then vulnerabilities by severity', () => {
    const body = render('html').body;
    const order = ['<p>Image name: all-in-one:3.5.19223</p>', '<p>Registry: Aqua</p>', '<p>Image is compliant</p>', '<p>Malware found: No</p>', '<p>Sensitive data found: No</p>',
      "<span style='color:#c00000'>1</span>", '<h2>Assurance controls</h2>', '<h2>Found vulnerabilities</h2>', '<h3>Critical severity vulnerabilities</h3>',
      '<h3>Negligible severity vulnerabilities</h3>', "<p>See more: <a href='https://aqua.example/#/images/Aqua/all-in-one%3A3.5.19223'>"];
    let at = -1;
    for (const part of order) {
      const next = body.indexOf(part, at + 1);
      expect(next, part).toBeGreaterThan(at);
      at = next;
    }
  });

  it('jira: wiki tables with || headers and {color} cells', () => {
    const body = render('jira').body;
    expect(body.startsWith('Image name: all-in-one:3.5.19223\nRegistry: Aqua\nImage is compliant\n')).toBe(true);
    expect(body).toContain('||CRITICAL||HIGH||MEDIUM||LOW||NEGLIGIBLE||\n|{color:#c00000}1{color}|');
    expect(body).toContain('h2. Assurance controls\n||#||Control||Policy Name||Status||\n|1|malware|Default|PASS|\n');
    expect(body.endsWith('See more: [https://aqua.example/#/images/Aqua/all-in-one%3A3.5.19223|https://aqua.example/#/images/Aqua/all-in-one%3A3.5.19223]\n')).toBe(true);
  });

  it('slack: section blocks, at most five table rows per section, bold header row', () => {
    const blocks = JSON.parse(render('slack').body) as Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }>;
    expect(blocks.every((b) => b.type === 'section')).toBe(true);
    expect(blocks[0]!.text!.text).toBe('Image name: all-in-one:3.5.19223');
    expect(blocks.find((b) => b.fields?.[0]?.text === '*CRITICAL*')!.fields!.map((f) => f.text)).toEqual(['*CRITICAL*', '*1*', '*HIGH*', '*1*', '*MEDIUM*', '*1*', '*LOW*', '*1*', '*NEGLIGIBLE*', '*1*']);
    const controls = blocks.filter((b) => b.fields?.[0]?.text.startsWith('*#*') || /^\d+ /.test(b.fields?.[0]?.text ?? ''));
    expect(controls[0]!.fields!.slice(0, 2).map((f) => f.text)).toEqual(['*#* *Control*', '*Policy Name* / *Status*']);
    for (const b of blocks) if (b.fields) expect(b.fields.length).toBeLessThanOrEqual(10);
    expect(blocks.at(-1)!.text!.text).toBe('See more: <https://aqua.example/#/images/Aqua/all-in-one%3A3.5.19223|https://aqua.example/#/images/Aqua/all-in-one%3A3.5.19223>');
  });

  it('malware and sensitive data sections appear when the scan has them; absent fields read as empty', () => {
    const event = { image: 'x y', registry: 'r', scan_options: { scan_malware: true }, vulnerability_summary: { malware: 1 },
      malware: [{ malware: 'EICAR', hash: 'h', path: '/p' }], sensitive_data: [{ filename: 'id_rsa', path: '/root', type: 'key', hash: 'h2' }] };
    const html = render('html', event);
    expect(html.url).toBe('https://aqua.example/#/images/r/x+y');
    expect(html.body).toContain('<p>Malware found: Yes</p>');
    expect(html.body).not.toContain('Sensitive data found');
    expect(html.body).toContain("\n<h2>Malware</h2>\n<TABLE border='1' style='width: 100%; border-collapse: collapse;'>\n<TR>\n<TH style='padding: 5px;'>#</TH>");
    expect(html.body).toContain('<TD style=\'padding: 5px;\'>0</TD><TD style=\'padding: 5px;\'>EICAR</TD>');
    expect(html.body).toContain('\n<h2>Sensitive Data</h2>\n');
  });

  it('an event that is not an Aqua scan fails with the field named', () => {
    expect(() => render('html', { image: 42 })).toThrow(TemplateRenderError);
    expect(() => render('html', { image: 42 })).toThrow(/"image" must be a string/);
    expect(() => render('html', [1, 2])).toThrow(/must be an Aqua image-scan result/);
  });

  it('aggregation puts each message under an H1 of its title', () => {
    const r = createLegacyRenderer('legacy', 'html');
    const one = r.render(templateInput(aqua, ctx, 'postee'));
    const agg = r.aggregate!([one, one]);
    expect(agg.title).toBe('Vulnerability scan report');
    expect(agg.body).toBe(`<h1>${one.title}</h1>\n${one.body}<h1>${one.title}</h1>\n${one.body}`);
    expect(agg.url).toBe(`${one.url}\n${one.url}`);
  });

  it("Go's url.QueryEscape", () => {
    expect(goQueryEscape('a b/c:d~e*f(g)!é')).toBe('a+b%2Fc%3Ad~e%2Af%28g%29%21%C3%A9');
  });
});
