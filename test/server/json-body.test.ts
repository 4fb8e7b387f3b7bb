import { describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../src/server/json-body.js';
import { jsonErrorPosition } from '../../src/server/json-error-position.js';

describe('JSON bodies', () => {
  it('finds the offset of the first error', () => {
    expect(jsonErrorPosition('{"a": 1, "b": }')).toBe(14);
    expect(jsonErrorPosition('[1, 2')).toBe(5);
    expect(jsonErrorPosition('{"a": tru}')).toBe(9);
    expect(jsonErrorPosition('{"a": 1} x')).toBe(9);
    expect(jsonErrorPosition('{"a": [1, {"b": "\\u12"}]}')).toBe(21);
    expect(jsonErrorPosition('{"a": [1, {"b": "\\u1234"}]}')).toBe(-1);
  });

  it('parses valid bodies and names position, line and column of bad ones', () => {
    expect(parseJsonBody(Buffer.from('{"x": [1]}'))).toEqual({ x: [1] });
    expect(() => parseJsonBody(Buffer.from('{\n  "a": 01\n}'))).toThrow('malformed JSON at position 10 (line 2, column 9): unexpected "1"');
    expect(() => parseJsonBody(Buffer.from('  '))).toThrow('the body is empty');
    expect(() => parseJsonBody(Buffer.from('{"a":'))).toThrow('unexpected end of input');
  });
});
