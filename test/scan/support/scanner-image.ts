// The test scanner: a small image built from the local busybox image of
// test/support/dockerd.ts, with the shared fixture reports baked in. Its
// /bin/fake-scanner prints the report named after the target image's
// repository (`.../webapp:1` -> /reports/webapp.json), or writes it to the
// file given as second argument. Targets named `*hang*` sleep (timeouts),
// `*crash*` exit 3 without a report. No real scanner is involved.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';

const FIXTURES = new URL('../../../../shared/fixtures/', import.meta.url).pathname;

export const REPORTS: Record<string, string> = {
  webapp: 'postee-trivy-input.json',
  nginx: 'postee-trivy-operator-input.json',
  compliance: 'inspec-json-output.json',
  wordpress: 'securecodebox-findings.json',
};

const SCRIPT = `#!/bin/sh
target="$1"
case "$target" in
  *hang*) sleep 60 ;;
  *crash*) echo "scanner crashed" >&2; exit 3 ;;
esac
repo="\${target##*/}"; repo="\${repo%%:*}"; repo="\${repo%%@*}"
echo "scanning $target" >&2
if [ -n "$2" ]; then cat "/reports/$repo.json" > "$2"; else cat "/reports/$repo.json"; fi
`;

/** Commits busybox + fixtures + script as `hooker-test/fake-scanner:<tag>`; returns the reference. */
export async function buildScannerImage(docker: Docker, busybox: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-fake-scanner-'));
  try {
    mkdirSync(join(dir, 'reports'));
    mkdirSync(join(dir, 'bin'));
    for (const [repo, file] of Object.entries(REPORTS)) copyFileSync(join(FIXTURES, file), join(dir, 'reports', `${repo}.json`));
    writeFileSync(join(dir, 'bin', 'fake-scanner'), SCRIPT);
    chmodSync(join(dir, 'bin', 'fake-scanner'), 0o755);
    const tar = spawnSync('tar', ['-C', dir, '-cf', '-', 'reports', 'bin']);
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
    const container = await docker.createContainer({ Image: busybox, Cmd: ['true'], Labels: { 'io.hooker.managed': 'true' } });
    try {
      await container.putArchive(tar.stdout, { path: '/' });
      const tag = busybox.split(':').pop()!;
      await container.commit({ repo: 'hooker-test/fake-scanner', tag });
      return `hooker-test/fake-scanner:${tag}`;
    } finally {
      await container.remove({ force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
