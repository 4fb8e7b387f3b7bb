// `hooker --version` and `hooker <command> --help`, run as real processes.

import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function hooker(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/hooker.js', ...args], { cwd: repo, env: { ...process.env, HOOKER_HTTP: '', HOOKER_HTTPS: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('hooker CLI', () => {
  it('--version prints the package version', async () => {
    const r = await hooker('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`hooker ${version}`);
  });

  for (const command of ['serve', 'validate', 'build', 'eval', 'test', 'deliveries']) {
    it(`${command} --help prints its usage and exits 0 without doing anything`, async () => {
      const r = await hooker(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: hooker ${command}`));
      expect(r.stderr).toBe('');
    });
  }
});
