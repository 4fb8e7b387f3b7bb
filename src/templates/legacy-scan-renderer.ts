// `legacy-scan-renderer: html|slack|jira`: Postee's built-in renderers for
// Aqua image-scan results, rebuilt with the same structure: the same
// paragraphs, tables, colours, section order and "See more" link, for the
// same event fields (Postee decoded the event into its ScanImageInfo type,
// so only these fields count and missing ones are empty/zero).
//
// One representational difference: Postee's Slack renderer produced block
// JSON joined by commas with a trailing comma, which its Slack output then
// wrapped in brackets; here the slack body is that JSON array itself.

import type { RenderedMessage } from '../actions/types.js';
import type { TemplateRenderer } from './template-renderer.js';
import { TemplateRenderError } from './template-renderer.js';

export const LEGACY_RENDERERS = ['html', 'slack', 'jira'] as const;
export type LegacyRendererKind = (typeof LEGACY_RENDERERS)[number];

interface ScanImageInfo {
  image: string;
  registry: string;
  disallowed: boolean;
  checks: Array<{ control: string; policyName: string; failed: boolean }>;
  summary: { critical: number; high: number; medium: number; low: number; negligible: number; sensitive: number; malware: number };
  scanMalware: boolean;
  scanSensitive: boolean;
  resources: Array<{ name: string; version: string; vulnerabilities: Array<{ name: string; fixVersion: string; severity: string }> }>;
  malware: Array<{ malware: string; path: string; hash: string }>;
  sensitive: Array<{ filename: string; path: string; type: string; hash: string }>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Go's json.Unmarshal into ScanImageInfo: absent or null is the zero value, a wrong type is an error naming the field. */
class Decoder {
  constructor(private readonly where: string) {}
  fail(field: string, want: string): never {
    throw new TemplateRenderError(`${this.where}: the event's "${field}" must be ${want} (Postee's legacy renderers read Aqua image-scan results)`);
  }
  str(o: Obj, k: string, path: string): string {
    const v = o[k];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') this.fail(path, 'a string');
    return v;
  }
  bool(o: Obj, k: string, path: string): boolean {
    const v = o[k];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') this.fail(path, 'true or false');
    return v;
  }
  int(o: Obj, k: string, path: string): number {
    const v = o[k];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(path, 'an integer');
    return v;
  }
  obj(o: Obj, k: string, path: string): Obj {
    const v = o[k];
    if (v === undefined || v === null) return {};
    if (!isObj(v)) this.fail(path, 'an object');
    return v;
  }
  list(o: Obj, k: string, path: string): Obj[] {
    const v = o[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, 'a list');
    return v.map((item, i) => (isObj(item) ? item : this.fail(`${path}[${i}]`, 'an object')));
  }
}

function decode(event: unknown, where: string): ScanImageInfo {
  const d = new Decoder(where);
  if (!isObj(event)) throw new TemplateRenderError(`${where}: the event must be an Aqua image-scan result (a JSON object)`);
  const iar = d.obj(event, 'image_assurance_results', 'image_assurance_results');
  const vs = d.obj(event, 'vulnerability_summary', 'vulnerability_summary');
  const so = d.obj(event, 'scan_options', 'scan_options');
  return {
    image: d.str(event, 'image', 'image'),
    registry: d.str(event, 'registry', 'registry'),
    disallowed: d.bool(iar, 'disallowed', 'image_assurance_results.disallowed'),
    checks: d.list(iar, 'checks_performed', 'image_assurance_results.checks_performed').map((c, i) => ({
      control: d.str(c, 'control', `checks_performed[${i}].control`),
      policyName: d.str(c, 'policy_name', `checks_performed[${i}].policy_name`),
      failed: d.bool(c, 'failed', `checks_performed[${i}].failed`),
    })),
    summary: {
      critical: d.int(vs, 'critical', 'vulnerability_summary.critical'),
      high: d.int(vs, 'high', 'vulnerability_summary.high'),
      medium: d.int(vs, 'medium', 'vulnerability_summary.medium'),
      low: d.int(vs, 'low', 'vulnerability_summary.low'),
      negligible: d.int(vs, 'negligible', 'vulnerability_summary.negligible'),
      sensitive: d.int(vs, 'sensitive', 'vulnerability_summary.sensitive'),
      malware: d.int(vs, 'malware', 'vulnerability_summary.malware'),
    },
    scanMalware: d.bool(so, 'scan_malware', 'scan_options.scan_malware'),
    scanSensitive: d.bool(so, 'scan_sensitive_data', 'scan_options.scan_sensitive_data'),
    resources: d.list(event, 'resources', 'resources').map((r, i) => {
      const res = d.obj(r, 'resource', `resources[${i}].resource`);
      return {
        name: d.str(res, 'name', `resources[${i}].resource.name`),
        version: d.str(res, 'version', `resources[${i}].resource.version`),
        vulnerabilities: d.list(r, 'vulnerabilities', `resources[${i}].vulnerabilities`).map((v, j) => ({
          name: d.str(v, 'name', `resources[${i}].vulnerabilities[${j}].name`),
          fixVersion: d.str(v, 'fix_version', `resources[${i}].vulnerabilities[${j}].fix_version`),
          severity: d.str(v, 'aqua_severity', `resources[${i}].vulnerabilities[${j}].aqua_severity`),
        })),
      };
    }),
    malware: d.list(event, 'malware', 'malware').map((m, i) => ({
      malware: d.str(m, 'malware', `malware[${i}].malware`), path: d.str(m, 'path', `malware[${i}].path`), hash: d.str(m, 'hash', `malware[${i}].hash`),
    })),
    sensitive: d.list(event, 'sensitive_data', 'sensitive_data').map((s, i) => ({
      filename: d.str(s, 'filename', `sensitive_data[${i}].filename`), path: d.str(s, 'path', `sensitive_data[${i}].path`),
      type: d.str(s, 'type', `sensitive_data[${i}].type`), hash: d.str(s, 'hash', `sensitive_data[${i}].hash`),
    })),
  };
}

/** The markup primitives Postee's three layout providers implement. */
interface Layout {
  p(text: string): string;
  h1(text: string): string;
  h2(text: string): string;
  h3(text: string): string;
  colour(text: string, color: string): string;
  table(rows: string[][]): string;
  a(url: string, title: string): string;
}

const htmlLayout: Layout = {
  p: (t) => `<p>${t}</p>\n`,
  h1: (t) => `<h1>${t}</h1>\n`,
  h2: (t) => `<h2>${t}</h2>\n`,
  h3: (t) => `<h3>${t}</h3>\n`,
  colour: (t, c) => `<span style='color:${c}'>${t}</span>`,
  table(rows) {
    const out = ["<TABLE border='1' style='width: 100%; border-collapse: collapse;'>"];
    rows.forEach((r, i) => {
      const tag = i === 0 ? 'TH' : 'TD';
      out.push('<TR>', r.map((f) => `<${tag} style='padding: 5px;'>${f}</${tag}>`).join(''), '</TR>');
    });
    out.push('</TABLE>\n');
    return out.join('\n');
  },
  a: (url, title) => `<a href='${url}'>${title}</a>`,
};

const jiraLayout: Layout = {
  p: (t) => `${t}\n`,
  h1: (t) => `h1. ${t}\n`,
  h2: (t) => `h2. ${t}\n`,
  h3: (t) => `h3. ${t}\n`,
  colour: (t, c) => `{color:${c}}${t}{color}`,
  table(rows) {
    if (rows.length === 0) return '';
    return rows.map((r, i) => (i === 0 ? `||${r.join('||')}||\n` : `|${r.join('|')}|\n`)).join('') + '\n';
  },
  a: (url, title) => `[${title}|${url}]`,
};

// Slack: every primitive yields blocks; the message is their concatenation.
type Block = { type: string; text?: { type: string; text: string }; fields?: Array<{ type: string; text: string }> };
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text) });

function slackTable(rows: string[][]): Block[] {
  if (rows.length === 0) return [];
  if (rows.length === 2 && rows[0]!.length === 5) {
    return [{ type: 'section', fields: rows[0]!.flatMap((h, j) => [mrkdwn(`*${h}*`), mrkdwn(rows[1]![j]!)]) }];
  }
  const blocks: Block[] = [];
  for (let start = 0; start < rows.length; start += 5) {
    const fields = rows.slice(start, start + 5).flatMap((r, k) => {
      const bold = start + k === 0 ? '*' : '';
      let cell1 = '';
      let cell2 = '';
      r.forEach((f, j) => {
        const b = `${bold}${f}${bold}`;
        if (j === 0) cell1 += b;
        else if (j === 1) {
          if (rows[0]![0] === '#') cell1 += ` ${b}`;
          else { cell2 += b; if (r.length > 2) cell2 += ' / '; }
        } else {
          if (j > 2) cell2 += ' / ';
          cell2 += b;
        }
      });
      return [mrkdwn(cell1), mrkdwn(cell2)];
    });
    blocks.push({ type: 'section', fields });
  }
  return blocks;
}

const COLORS = { critical: '#c00000', high: '#e0443d', medium: '#f79421', low: '#e1c930', negligible: 'green' };
const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'negligible'] as const;

/** Go's data.ClearField: control characters and U+FFFD removed. */
// eslint-disable-next-line no-control-regex
const clearField = (s: string) => s.replace(/[\x00-\x1f\x7f\ufffd]/g, '');

/** Go's url.QueryEscape. */
export function goQueryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const titleCase = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Postee's GenTicketDescription as a list of parts, each produced by `layout` (strings) or as blocks (slack). */
function describe<T>(scan: ScanImageInfo, link: string, l: { p(t: string): T; h2(t: string): T; h3(t: string): T; colour(t: string, c: string): string; table(r: string[][]): T; a(u: string, t: string): string }): T[] {
  const out: T[] = [];
  out.push(l.p(`Image name: ${scan.image}`), l.p(`Registry: ${scan.registry}`));
  out.push(l.p(scan.disallowed ? 'Image is non-compliant' : 'Image is compliant'));
  if (scan.scanMalware) out.push(l.p(`Malware found: ${scan.summary.malware > 0 ? 'Yes' : 'No'}`));
  if (scan.scanSensitive) out.push(l.p(`Sensitive data found: ${scan.summary.sensitive > 0 ? 'Yes' : 'No'}`));
  out.push(l.table([
    ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE'],
    SEVERITY_ORDER.map((s) => l.colour(String(scan.summary[s]), COLORS[s])),
  ]));
  if (scan.checks.length > 0) {
    out.push(l.h2('Assurance controls'));
    out.push(l.table([['#', 'Control', 'Policy Name', 'Status'], ...scan.checks.map((c, i) => [String(i + 1), c.control, c.policyName, c.failed ? 'FAIL' : 'PASS'])]));
  }
  if (scan.resources.length > 0) {
    out.push(l.h2('Found vulnerabilities'));
    const rating = new Map<string, string[][]>();
    for (const r of scan.resources) {
      for (const v of r.vulnerabilities) {
        const key = v.severity.toLowerCase();
        const row = [v.name || 'none', r.name || 'none', r.version || 'none', v.fixVersion === '' ? 'none' : clearField(v.fixVersion)];
        rating.set(key, [...(rating.get(key) ?? []), row]);
      }
    }
    for (const sev of SEVERITY_ORDER) {
      const rows = rating.get(sev);
      if (!rows) continue;
      out.push(l.h3(`${titleCase(sev)} severity vulnerabilities`));
      out.push(l.table([['Vulnerability ID', 'Resource name', 'Installed version', 'Fix version'], ...rows]));
    }
  }
  if (scan.malware.length > 0) {
    out.push(l.h2('Malware'));
    out.push(l.table([['#', 'Malware', 'Hash', 'Path'], ...scan.malware.map((m, i) => [String(i), m.malware, m.hash, m.path])]));
  }
  if (scan.sensitive.length > 0) {
    out.push(l.h2('Sensitive Data'));
    out.push(l.table([['File name', 'Path', 'Type', 'Hash'], ...scan.sensitive.map((s) => [s.filename, s.path, s.type, s.hash])]));
  }
  out.push(l.p(`See more: ${l.a(link, link)}`));
  return out;
}

/** The "\n" Postee wrote before the malware and sensitive-data sections of text layouts. */
function textDescription(scan: ScanImageInfo, link: string, l: Layout): string {
  const parts = describe(scan, link, l);
  // Postee wrote a newline before the Malware and Sensitive Data titles.
  return parts.map((p) => (p === l.h2('Malware') || p === l.h2('Sensitive Data') ? `\n${p}` : p)).join('');
}

/** The renderer gets Postee's template input: the link prefix is its `postee.AquaServer` (`<aqua-server>/#/images/`). */
function imagesUrl(input: Obj): string {
  const p = input['postee'];
  return isObj(p) && typeof p['AquaServer'] === 'string' ? p['AquaServer'] : '';
}

export function createLegacyRenderer(name: string, kind: LegacyRendererKind): TemplateRenderer {
  const where = `template "${name}" (legacy-scan-renderer: ${kind})`;
  const render = (event: unknown): RenderedMessage => {
    const scan = decode(event, where);
    const image = (event as Obj)['image'];
    const title = `${typeof image === 'string' ? image : String(image ?? '%!s(<nil>)')} vulnerability scan report`;
    const url = `${imagesUrl(event as Obj)}${scan.registry}/${goQueryEscape(scan.image)}`;
    let body: string;
    if (kind === 'slack') {
      const blocks = describe<Block[]>(scan, url, {
        p: (t) => [section(t)], h2: (t) => [section(`*${t}*`)], h3: (t) => [section(`*${t}*`)],
        colour: (t) => `*${t}*`, table: slackTable, a: (u, t) => `<${u}|${t}>`,
      }).flat();
      body = JSON.stringify(blocks);
    } else {
      body = textDescription(scan, url, kind === 'html' ? htmlLayout : jiraLayout);
    }
    return { title, body, url };
  };
  return {
    name,
    package: `legacy-scan-renderer:${kind}`,
    inputFlavour: 'postee',
    render,
    // Postee's legacy aggregation: each message under an H1 of its title, links one per line.
    aggregate(messages) {
      const urls = messages.map((m) => m.url ?? '').join('\n');
      let body: string;
      if (kind === 'slack') {
        body = JSON.stringify(messages.flatMap((m) => [section(`*${m.title}*`), ...(JSON.parse(m.body) as Block[])]));
      } else {
        const l = kind === 'html' ? htmlLayout : jiraLayout;
        body = messages.map((m) => l.h1(m.title) + m.body).join('');
      }
      return { title: 'Vulnerability scan report', body, ...(urls ? { url: urls } : {}) };
    },
  };
}
