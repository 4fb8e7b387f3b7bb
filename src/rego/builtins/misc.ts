// opa.runtime and test.sleep.

import { implementAll } from './define.js';
import { strArg } from './operands.js';
import { parseDuration } from './time.js';

implementAll({
  // OPA reports its environment variables here; Hooker's carry secrets
  // (tokens, webhook URLs) that templates must never be able to render.
  'opa.runtime': () => ({}),
  // Sleeping would block the event loop; time is fixed per evaluation anyway, so validate and return.
  'test.sleep': (args) => {
    parseDuration(strArg(args, 0));
    return null;
  },
});
