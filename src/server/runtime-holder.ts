// Holds the running configuration and swaps it atomically on reload: the new
// one is built completely first, and a broken one is rejected with its
// problems while the old one keeps serving.

import type { Problem } from '../config/problems.js';
import { hasErrors } from '../config/problems.js';
import { buildRuntime, closeActions, type BuildOptions, type Runtime } from './runtime.js';

export interface ReloadOutcome {
  ok: boolean;
  problems: Problem[];
}

/** The last reload: when it ran and what it found (the console's Config page shows it). */
export interface LastReload extends ReloadOutcome {
  at: number;
}

export class RuntimeHolder {
  private reloading: Promise<ReloadOutcome> | undefined;
  private readonly retired = new Map<ReturnType<typeof setTimeout>, Runtime>();
  private last: LastReload | undefined;

  constructor(private runtime: Runtime, readonly buildOptions: BuildOptions, private readonly onSwap?: (outcome: ReloadOutcome) => void) {}

  /** The outcome of the last reload, absent before the first one. */
  get lastReload(): LastReload | undefined {
    return this.last;
  }

  get current(): Runtime {
    return this.runtime;
  }

  /** Concurrent calls share one rebuild. */
  reload(): Promise<ReloadOutcome> {
    this.reloading ??= this.rebuild().finally(() => { this.reloading = undefined; });
    return this.reloading;
  }

  private async rebuild(): Promise<ReloadOutcome> {
    const built = await buildRuntime(this.buildOptions);
    if (!built.runtime || hasErrors(built.problems)) {
      const outcome = { ok: false, problems: built.problems };
      this.last = { ...outcome, at: Date.now() };
      this.onSwap?.(outcome);
      return outcome;
    }
    const old = this.runtime;
    this.runtime = built.runtime;
    // Deliveries already running keep their action objects for a while.
    const t = setTimeout(() => { this.retired.delete(t); void closeActions(old.actions.values()); }, 30_000);
    t.unref();
    this.retired.set(t, old);
    const outcome = { ok: true, problems: built.problems };
    this.last = { ...outcome, at: Date.now() };
    this.onSwap?.(outcome);
    return outcome;
  }

  async close(): Promise<void> {
    const old = [...this.retired.entries()];
    this.retired.clear();
    for (const [t] of old) clearTimeout(t);
    await Promise.all(old.map(([, rt]) => closeActions(rt.actions.values())));
    await closeActions(this.runtime.actions.values());
  }
}
