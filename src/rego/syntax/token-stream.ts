// Cursor over the lexer's tokens with the parser's error conventions:
// errors abort the current statement by throwing ParseAbort (the module
// parser catches it and resynchronises), and speculative parses rewind with
// `mark`/`reset`.

import type { Location } from './ast.js';
import type { RegoProblem } from '../errors.js';
import { describeToken, type Punct, type Token } from './lexer.js';

export class ParseAbort extends Error {
  constructor(readonly problem: RegoProblem) {
    super(problem.message);
  }
}

/** Words reserved in every dialect. */
const BASE_KEYWORDS = ['as', 'default', 'else', 'false', 'import', 'not', 'null', 'package', 'some', 'true', 'with'];
/** Reserved in v1; in v0 only after `import future.keywords...` or `import rego.v1`. */
export const FUTURE_KEYWORDS = ['contains', 'every', 'if', 'in'] as const;

export class TokenStream {
  protected pos = 0;
  protected readonly keywords = new Set<string>(BASE_KEYWORDS);

  constructor(protected readonly tokens: Token[], protected readonly file: string) {}

  protected get tok(): Token {
    return this.tokens[this.pos]!;
  }

  protected peekTok(offset = 1): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  protected next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  protected mark(): number {
    return this.pos;
  }

  protected reset(mark: number): void {
    this.pos = mark;
  }

  protected isPunct(p: Punct, t: Token = this.tok): boolean {
    return t.kind === 'punct' && t.text === p;
  }

  /** An adjacent `.` or `[` follows: a keyword there starts a ref (`data.if`, `not.foo`). */
  protected startsRef(offset = 1): boolean {
    const n = this.peekTok(offset);
    return !n.spaceBefore && (this.isPunct('.', n) || this.isPunct('[', n));
  }

  /** True when the current token is keyword `word` used as a keyword (not as a ref head). */
  protected isKeyword(word: string, t: Token = this.tok): boolean {
    return t.kind === 'ident' && t.text === word && this.keywords.has(word) && !(t === this.tok && this.startsRef());
  }

  protected isReserved(t: Token): boolean {
    return t.kind === 'ident' && this.keywords.has(t.text);
  }

  protected fail(loc: Location, message: string): never {
    // Speculative parses throw and catch these by the thousand on a large
    // bundle; a stack trace (never shown: the problem is) costs more than the parse.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const e = new ParseAbort({ code: 'rego_parse_error', message, loc });
    Error.stackTraceLimit = limit;
    throw e;
  }

  /** OPA's "unexpected X token[: note]" for the current token. */
  protected illegal(note?: string, t: Token = this.tok): never {
    if (t.kind === 'illegal') this.fail(t.loc, 'illegal token');
    const what = t.kind === 'ident'
      ? (this.keywords.has(t.text) ? `${t.text} keyword` : 'ident token')
      : `${describeToken(t)} token`;
    this.fail(t.loc, note ? `unexpected ${what}: ${note}` : `unexpected ${what}`);
  }

  protected expectPunct(p: Punct, note?: string): Token {
    if (!this.isPunct(p)) this.illegal(note ?? `expected ${p}`);
    return this.next();
  }
}
