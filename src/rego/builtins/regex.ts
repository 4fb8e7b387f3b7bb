// regex.* and re_match on RE2 (see re2.ts).

import { implementAll } from './define.js';
import { intArg, strArg } from './operands.js';
import { compileRegex, findAll, quoteRegex, replaceAll, splitAll } from './re2.js';
import { BuiltinError, type RegoValue } from './types.js';

function isMatch(args: RegoValue[]): boolean {
  const re = compileRegex(strArg(args, 0));
  return re.matcher(strArg(args, 1)).find();
}

/** regex.template_match: literal text with regexes between the delimiters, matched whole. */
function templateRegex(template: string, open: string, close: string): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const a = template.indexOf(open, i);
    if (a < 0) {
      out += quoteRegex(template.slice(i));
      break;
    }
    out += quoteRegex(template.slice(i, a));
    // Nested delimiters are balanced, as gorilla/mux (which OPA follows) does.
    let depth = 0;
    let b = a;
    for (; b < template.length; b++) {
      if (template.startsWith(open, b)) depth++;
      else if (template.startsWith(close, b) && --depth === 0) break;
    }
    if (b >= template.length) throw new BuiltinError(`unbalanced braces in template: ${template}`);
    out += `(${template.slice(a + open.length, b)})`;
    i = b + close.length;
  }
  return `^${out}$`;
}

implementAll({
  'regex.match': isMatch,
  re_match: isMatch,
  'regex.is_valid': ([p]) => {
    if (typeof p !== 'string') return false;
    try {
      compileRegex(p);
      return true;
    } catch {
      return false;
    }
  },
  'regex.find_n': (args) => {
    const re = compileRegex(strArg(args, 0));
    return findAll(re, strArg(args, 1), intArg(args, 2)).map((m) => m.groups[0] ?? '');
  },
  'regex.find_all_string_submatch_n': (args) => {
    const re = compileRegex(strArg(args, 0));
    return findAll(re, strArg(args, 1), intArg(args, 2)).map((m) => m.groups.map((g) => g ?? ''));
  },
  'regex.split': (args) => {
    const pattern = strArg(args, 0);
    return splitAll(compileRegex(pattern), pattern, strArg(args, 1));
  },
  'regex.replace': (args) => {
    const s = strArg(args, 0);
    const re = compileRegex(strArg(args, 1));
    return replaceAll(re, s, strArg(args, 2));
  },
  'regex.template_match': (args) => {
    const template = strArg(args, 0);
    const s = strArg(args, 1);
    const open = strArg(args, 2);
    const close = strArg(args, 3);
    return compileRegex(templateRegex(template, open, close)).matches(s);
  },
});
