// array.concat, array.slice, array.reverse, array.flatten.

import { implementAll } from './define.js';
import { arrArg, intArg } from './operands.js';

implementAll({
  'array.concat': (args) => [...arrArg(args, 0), ...arrArg(args, 1)],
  'array.slice': (args) => {
    const xs = arrArg(args, 0);
    let start = intArg(args, 1);
    let stop = intArg(args, 2);
    if (start < 0) start = 0;
    if (stop > xs.length) stop = xs.length;
    return start >= stop ? [] : xs.slice(start, stop);
  },
  'array.reverse': (args) => [...arrArg(args, 0)].reverse(),
  'array.flatten': (args) => arrArg(args, 0).flatMap((x) => (Array.isArray(x) ? x : [x])),
});
