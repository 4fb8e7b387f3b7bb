// Runs the real CLI entry (src/cli/main.ts) in-process with stdout/stderr captured.
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export interface CliRun { code: number; out: string; err: string }

export async function runCli(...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out += `${a.join(' ')}\n`; });
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err += `${a.join(' ')}\n`; });
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  const ewrite = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  try {
    return { code: await main(argv), out, err };
  } finally {
    log.mockRestore(); error.mockRestore(); write.mockRestore(); ewrite.mockRestore();
  }
}
