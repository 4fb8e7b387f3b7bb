// Starts `hooker serve` as a child process on a free port and waits for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface HookerProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

const repo = fileURLToPath(new URL('../..', import.meta.url));

export async function startHooker(env: Record<string, string>): Promise<HookerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/run-hooker.ts', 'serve'], {
    cwd: repo,
    env: { ...process.env, HOOKER_HTTP: '127.0.0.1:0', HOOKER_HTTPS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b) => { out += b; });
  child.stderr!.on('data', (b) => { out += b; });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hooker did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /serving .* on (http:\/\/[^\s]+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    };
    child.stderr!.on('data', check);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`hooker exited ${code}:\n${out}`)); });
  });
  return {
    url,
    output: () => out,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
