// PEM block decoding with Go's encoding/pem semantics (what OPA's crypto and
// JWT builtins rely on): garbage before a block is skipped, a block whose
// body is not valid base64 is skipped, and `rest` starts after the END line.

import { goBase64Decode } from './go-base64.js';

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Buffer;
}

const START = '\n-----BEGIN ';
const END = '\n-----END ';
const EOL = '-----';

function getLine(s: string): [string, string] {
  const i = s.indexOf('\n');
  const line = i < 0 ? s : s.slice(0, i);
  const rest = i < 0 ? '' : s.slice(i + 1);
  return [line.replace(/[ \t\r]+$/, ''), rest];
}

/** Go's pem.Decode: the first valid block and what follows it, or `undefined` and the input. */
export function pemDecode(data: string): { block?: PemBlock; rest: string } {
  let rest = data;
  for (;;) {
    if (rest.startsWith(START.slice(1))) rest = rest.slice(START.length - 1);
    else {
      const i = rest.indexOf(START);
      if (i < 0) return { rest: data };
      rest = rest.slice(i + START.length);
    }
    let typeLine: string;
    [typeLine, rest] = getLine(rest);
    if (!typeLine.endsWith(EOL)) continue;
    const type = typeLine.slice(0, -EOL.length);
    const headers: Record<string, string> = {};
    for (;;) {
      if (rest.length === 0) return { rest: data };
      const [line, next] = getLine(rest);
      const c = line.indexOf(':');
      if (c < 0) break;
      headers[line.slice(0, c).trim()] = line.slice(c + 1).trim();
      rest = next;
    }
    let endIndex: number;
    let endTrailerIndex: number;
    if (Object.keys(headers).length === 0 && rest.startsWith(END.slice(1))) {
      endIndex = 0;
      endTrailerIndex = END.length - 1;
    } else {
      endIndex = rest.indexOf(END);
      endTrailerIndex = endIndex + END.length;
    }
    if (endIndex < 0) continue;
    let endTrailer = rest.slice(endTrailerIndex);
    const trailerLen = type.length + EOL.length;
    if (endTrailer.length < trailerLen) continue;
    const restOfEndLine = endTrailer.slice(trailerLen);
    endTrailer = endTrailer.slice(0, trailerLen);
    if (!endTrailer.startsWith(type) || !endTrailer.endsWith(EOL)) continue;
    if (getLine(restOfEndLine)[0].length !== 0) continue;
    let bytes: Buffer;
    try {
      bytes = goBase64Decode(rest.slice(0, endIndex).replace(/[ \t]/g, ''), 'std');
    } catch {
      continue;
    }
    const after = getLine(rest.slice(endIndex + END.length - 1))[1];
    return { block: { type, headers, bytes }, rest: after };
  }
}

/** Every block in `data`, in order (Go loops pem.Decode until it returns nil). */
export function pemDecodeAll(data: string): PemBlock[] {
  const out: PemBlock[] = [];
  let rest = data;
  for (;;) {
    const r = pemDecode(rest);
    if (!r.block) return out;
    out.push(r.block);
    rest = r.rest;
  }
}
