// Starts a real server binary from a Debian package for a test (loopback,
// free port, own temp dir) and stops it afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';

/** The first of the paths that exists (Debian puts nats-server in /usr/sbin). */
export function findBinary(...paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export interface RealServer { output(): string; stop(): Promise<void> }

export async function startServer(bin: string, args: string[], ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<RealServer> {
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b) => { out += b; });
  child.stderr!.on('data', (b) => { out += b; });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${bin} exited ${child.exitCode}:\n${out}`);
    if (await ready().catch(() => false)) break;
    if (Date.now() > end) { child.kill('SIGKILL'); throw new Error(`${bin} did not become ready:\n${out}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    output: () => out,
    async stop() { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } },
  };
}
