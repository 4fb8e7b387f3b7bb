// The notification outputs (one module each), registered with the other action types.

import type { ActionFactory } from '../types.js';

export const outputActions: readonly ActionFactory[] = [];
