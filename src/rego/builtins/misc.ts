// opa.runtime and test.sleep.

import { implementAll } from './define.js';
import { strArg } from './operands.js';
import { parseDuration } from './time.js';

implementAll({
  'opa.runtime': () => ({ env: {}, version: 'hooker', commit: '' }),
  // Sleeping would block the event loop; time is fixed per evaluation anyway, so validate and return.
  'test.sleep': (args) => {
    parseDuration(strArg(args, 0));
    return null;
  },
});
