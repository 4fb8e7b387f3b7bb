// Rego lexer: source text -> tokens with 1-based row/col (columns count
// characters, i.e. code points, not UTF-16 units).
//
// Words are all returned as `ident`: which words are keywords depends on the
// dialect and on `import future.keywords...`, and keywords may even be used
// as ref segments (`data.foo.if`), so the parser decides.
//
// Whitespace is not a token, but each token records whether whitespace (or a
// comment) and whether a newline came right before it: refs and calls only
// continue across adjacent tokens (`a[1]` vs `a [1]`), and newlines separate
// body expressions.
//
// Template strings (`$"a {x} b"`, `` $`a {x}` ``) are split here: a
// `tmplstart` token carries the literal text up to the first `{` (or the
// whole string), the tokens of the embedded expression follow, and the `}`
// closing it is lexed together with the next literal run as `tmplcont`.

import type { Location } from './ast.js';
import type { RegoProblem } from '../errors.js';

export type Punct =
  | ':=' | '=' | '==' | '!=' | '<' | '<=' | '>' | '>='
  | '+' | '-' | '*' | '/' | '%' | '&' | '|'
  | '.' | ',' | ';' | ':'
  | '(' | ')' | '[' | ']' | '{' | '}';

interface TokenBase {
  loc: Location;
  /** Whitespace or a comment precedes the token. */
  spaceBefore: boolean;
  /** A newline precedes the token (possibly after a comment). */
  nlBefore: boolean;
}

export type Token =
  | (TokenBase & { kind: 'ident'; text: string })
  | (TokenBase & { kind: 'number'; text: string })
  | (TokenBase & { kind: 'string'; value: string; raw: boolean })
  /** `end`: the literal run ends the string; otherwise an expression follows. */
  | (TokenBase & { kind: 'tmplstart' | 'tmplcont'; value: string; raw: boolean; end: boolean })
  | (TokenBase & { kind: 'punct'; text: Punct })
  | (TokenBase & { kind: 'illegal'; text: string })
  | (TokenBase & { kind: 'eof' });

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type TokenFields = DistributiveOmit<Token, 'loc' | 'spaceBefore' | 'nlBefore'>;

/** A `#` comment: `text` is everything after the `#` up to the end of the line. */
export interface Comment {
  text: string;
  loc: Location;
}

export interface LexResult {
  tokens: Token[];
  problems: RegoProblem[];
  /** Every comment in source order (METADATA blocks are read from these). */
  comments: Comment[];
}

const PUNCT2: ReadonlySet<string> = new Set([':=', '==', '!=', '<=', '>=']);
const PUNCT1: ReadonlySet<string> = new Set(['=', '<', '>', '+', '-', '*', '/', '%', '&', '|', '.', ',', ';', ':', '(', ')', '[', ']', '{', '}']);

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c);
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isHex(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/** An open template string whose embedded expression is being lexed. */
interface TemplateFrame { raw: boolean; depth: number }

class Lexer {
  private pos = 0;
  private row = 1;
  private col = 1;
  private readonly tokens: Token[] = [];
  readonly problems: RegoProblem[] = [];
  private readonly templates: TemplateFrame[] = [];
  private readonly comments: Comment[] = [];
  private spaceBefore = false;
  private nlBefore = false;

  constructor(private readonly src: string, private readonly file: string) {}

  run(): LexResult {
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.src.length) break;
      this.lexToken();
    }
    for (let i = 0; i < this.templates.length; i++) this.error(this.loc(), 'non-terminated template string');
    this.push({ kind: 'eof' }, this.loc());
    return { tokens: this.tokens, problems: this.problems, comments: this.comments };
  }

  private loc(): Location {
    return { file: this.file, row: this.row, col: this.col };
  }

  private error(loc: Location, message: string): void {
    this.problems.push({ code: 'rego_parse_error', message, loc });
  }

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  /** Consumes one UTF-16 unit, keeping row/col in code points. */
  private advance(): string {
    const c = this.src[this.pos++]!;
    if (c === '\n') {
      this.row++;
      this.col = 1;
    } else if (!(c >= '\udc00' && c <= '\udfff')) {
      this.col++;
    }
    return c;
  }

  private push(tok: TokenFields, loc: Location): void {
    // Filled in place: `tok` is always a fresh literal, and copying it per token is measurably slow on large inputs.
    const t = tok as Token;
    t.loc = loc;
    t.spaceBefore = this.spaceBefore;
    t.nlBefore = this.nlBefore;
    this.tokens.push(t);
    this.spaceBefore = false;
    this.nlBefore = false;
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        if (c === '\n') this.nlBefore = true;
        this.spaceBefore = true;
        this.advance();
      } else if (c === '#') {
        this.spaceBefore = true;
        const loc = this.loc();
        this.advance();
        const start = this.pos;
        while (this.pos < this.src.length && this.peek() !== '\n') this.advance();
        this.comments.push({ text: this.src.slice(start, this.pos).replace(/\r$/, ''), loc });
      } else {
        return;
      }
    }
  }

  private lexToken(): void {
    const loc = this.loc();
    const c = this.peek();
    if (isIdentStart(c)) {
      const start = this.pos;
      while (isIdentPart(this.peek())) this.advance();
      this.push({ kind: 'ident', text: this.src.slice(start, this.pos) }, loc);
      return;
    }
    if (isDigit(c)) {
      this.push({ kind: 'number', text: this.lexNumber() }, loc);
      return;
    }
    if (c === '"') {
      this.advance();
      this.push({ kind: 'string', value: this.lexQuoted(loc), raw: false }, loc);
      return;
    }
    if (c === '`') {
      this.advance();
      this.push({ kind: 'string', value: this.lexRaw(loc), raw: true }, loc);
      return;
    }
    if (c === '$' && (this.peek(1) === '"' || this.peek(1) === '`')) {
      this.advance();
      const raw = this.advance() === '`';
      this.lexTemplatePart('tmplstart', raw, loc);
      return;
    }
    const two = c + this.peek(1);
    if (PUNCT2.has(two)) {
      this.advance();
      this.advance();
      this.push({ kind: 'punct', text: two as Punct }, loc);
      return;
    }
    if (PUNCT1.has(c)) {
      this.advance();
      const top = this.templates[this.templates.length - 1];
      if (c === '{' && top) top.depth++;
      if (c === '}' && top) {
        if (top.depth === 0) {
          this.templates.pop();
          this.lexTemplatePart('tmplcont', top.raw, loc);
          return;
        }
        top.depth--;
      }
      this.push({ kind: 'punct', text: c as Punct }, loc);
      return;
    }
    // Consume a whole code point so the message shows the character.
    let text = this.advance();
    if (text >= '\ud800' && text <= '\udbff' && this.pos < this.src.length) text += this.advance();
    this.error(loc, `illegal token`);
    this.push({ kind: 'illegal', text }, loc);
  }

  /** JSON number syntax without the sign (the parser attaches a leading '-'). */
  private lexNumber(): string {
    const start = this.pos;
    while (isDigit(this.peek())) this.advance();
    if (this.peek() === '.' && isDigit(this.peek(1))) {
      this.advance();
      while (isDigit(this.peek())) this.advance();
    }
    const e = this.peek();
    if ((e === 'e' || e === 'E') && (isDigit(this.peek(1)) || ((this.peek(1) === '+' || this.peek(1) === '-') && isDigit(this.peek(2))))) {
      this.advance();
      if (this.peek() === '+' || this.peek() === '-') this.advance();
      while (isDigit(this.peek())) this.advance();
    }
    return this.src.slice(start, this.pos);
  }

  /**
   * Reads one escape after a backslash (already consumed) in a "..." string
   * and returns the decoded text.
   */
  private lexEscape(strLoc: Location): string {
    const escLoc = this.loc();
    const c = this.peek();
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (c in simple) {
      this.advance();
      return simple[c]!;
    }
    if (c === 'u') {
      this.advance();
      const unit = this.readHex4();
      if (unit === undefined) {
        this.error(escLoc, 'illegal string literal: invalid \\u escape');
        return '';
      }
      // A high surrogate must pair with a following \uXXXX low surrogate, as in JSON.
      if (unit >= 0xd800 && unit <= 0xdbff && this.peek() === '\\' && this.peek(1) === 'u') {
        const save = { pos: this.pos, row: this.row, col: this.col };
        this.advance();
        this.advance();
        const low = this.readHex4();
        if (low !== undefined && low >= 0xdc00 && low <= 0xdfff) return String.fromCharCode(unit, low);
        Object.assign(this, save);
      }
      if (unit >= 0xd800 && unit <= 0xdfff) return '\ufffd';
      return String.fromCharCode(unit);
    }
    this.error(strLoc, `illegal string literal: invalid escape \\${c}`);
    if (c !== '' && c !== '\n') this.advance();
    return '';
  }

  private readHex4(): number | undefined {
    let hex = '';
    for (let i = 0; i < 4; i++) {
      if (!isHex(this.peek())) return undefined;
      hex += this.advance();
    }
    return parseInt(hex, 16);
  }

  private lexQuoted(loc: Location): string {
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n') {
        this.error(loc, 'non-terminated string');
        return out;
      }
      this.advance();
      if (c === '"') return out;
      out += c === '\\' ? this.lexEscape(loc) : c;
    }
  }

  private lexRaw(loc: Location): string {
    const start = this.pos;
    while (this.pos < this.src.length && this.peek() !== '`') this.advance();
    const value = this.src.slice(start, this.pos);
    if (this.pos >= this.src.length) this.error(loc, 'non-terminated raw string');
    else this.advance();
    return value;
  }

  /** Literal run of a template string, up to its end quote or an embedded `{`. */
  private lexTemplatePart(kind: 'tmplstart' | 'tmplcont', raw: boolean, loc: Location): void {
    const close = raw ? '`' : '"';
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || (!raw && c === '\n')) {
        this.error(loc, 'non-terminated template string');
        this.push({ kind, value: out, raw, end: true }, loc);
        return;
      }
      this.advance();
      if (c === close) {
        this.push({ kind, value: out, raw, end: true }, loc);
        return;
      }
      if (c === '{') {
        this.templates.push({ raw, depth: 0 });
        this.push({ kind, value: out, raw, end: false }, loc);
        return;
      }
      if (c === '\\' && this.peek() === '{') {
        this.advance();
        out += '{';
      } else if (c === '\\' && !raw) {
        out += this.lexEscape(loc);
      } else {
        out += c;
      }
    }
  }
}

export function lex(source: string, file: string): LexResult {
  return new Lexer(source, file).run();
}

/** How OPA names a token in "unexpected X token" messages. */
export function describeToken(tok: Token): string {
  switch (tok.kind) {
    case 'ident': return tok.text;
    case 'number': return 'number';
    case 'string': return 'string';
    case 'tmplstart': case 'tmplcont': return 'template-string';
    case 'punct': return tok.text;
    case 'illegal': return tok.text;
    case 'eof': return 'eof';
  }
}
