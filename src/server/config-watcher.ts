// Reloads when the configuration's content changes, however it was saved:
// in place, by an editor or `sed -i` that writes a new file and renames it
// over the old one (a new inode), or by Kubernetes swapping the `..data`
// symlink of a ConfigMap volume. Watching the file itself misses the last
// two (the watch stays on the old inode), so the directory is watched, a
// stat poll backs it up where directory events are not delivered, and a
// reload happens only when the bytes differ from the last ones seen.
// Events naming another file of the directory are dropped before anything
// runs: a database or its WAL kept beside cfg.yaml is written thousands of
// times a second, and re-arming the debounce timer for each write cost the
// event loop measurable CPU under load.

import { createHash } from 'node:crypto';
import { readFileSync, unwatchFile, watch, watchFile, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface ConfigWatcher { close(): void }

export const CONFIG_POLL_MS = 2_000;

function digest(file: string): string | undefined {
  try { return createHash('sha256').update(readFileSync(file)).digest('hex'); } catch { return undefined; }
}

export function watchConfigFile(file: string, onChange: () => void, opts: { debounceMs?: number; pollMs?: number; log?: (line: string) => void } = {}): ConfigWatcher {
  let last = digest(file);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = digest(file);
      // A file briefly missing mid-swap is not a change; its next content is.
      if (now === undefined || now === last) return;
      last = now;
      onChange();
    }, opts.debounceMs ?? 300);
  };
  let dirWatcher: FSWatcher | undefined;
  try {
    const name = basename(file);
    // The file itself, or a ConfigMap's `..data`/`..<timestamp>` entries; no name: the platform did not say.
    const concerns = (entry: string | Buffer | null) => entry === null || String(entry) === name || String(entry).startsWith('..');
    dirWatcher = watch(dirname(file), (_kind, entry) => { if (concerns(entry)) check(); });
    dirWatcher.on('error', (e) => opts.log?.(`watching ${dirname(file)} stopped: ${e.message}; polling ${file} instead`));
  } catch (e) {
    opts.log?.(`cannot watch ${dirname(file)} for changes: ${(e as Error).message}; polling ${file} instead`);
  }
  const pollMs = opts.pollMs ?? CONFIG_POLL_MS;
  watchFile(file, { interval: pollMs, persistent: false }, check);
  return {
    close() {
      clearTimeout(timer);
      dirWatcher?.close();
      unwatchFile(file, check);
    },
  };
}
