// Runs one container to completion: output captured line by line, killed at
// its timeout or when the delivery is aborted, and always removed.

import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { statusCode } from './image.js';

export interface ContainerSpec {
  image: string;
  cmd?: string[];
  env: string[];
  labels: Record<string, string>;
  network?: string;
  binds: string[];
  memoryBytes?: number;
  pidsLimit?: number;
}

export interface ContainerOutcome {
  containerId: string;
  /** Exit code reported by the engine (137 after a kill). */
  exitCode: number;
  timedOut: boolean;
  aborted: boolean;
  /** Lines of output dropped beyond the capture limit. */
  droppedLines: number;
}

export interface RunOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Receives `stdout: ...` / `stderr: ...` lines. */
  log(line: string): void;
  /** Most lines passed to log (a noisy container must not flood the delivery record). */
  maxLines?: number;
}

export async function runContainer(docker: Docker, spec: ContainerSpec, opts: RunOptions): Promise<ContainerOutcome> {
  const container = await docker.createContainer({
    Image: spec.image,
    Cmd: spec.cmd,
    Env: spec.env,
    Labels: spec.labels,
    Tty: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      NetworkMode: spec.network,
      Binds: spec.binds,
      Memory: spec.memoryBytes,
      // Same as Memory: no swap on top, so the limit means what it says.
      MemorySwap: spec.memoryBytes,
      PidsLimit: spec.pidsLimit,
      AutoRemove: false,
    },
  });
  try {
    const capture = new OutputCapture(opts.log, opts.maxLines ?? 2000);
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = capture.sink('stdout');
    const stderr = capture.sink('stderr');
    container.modem.demuxStream(stream, stdout, stderr);
    const drained = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });

    // Wait is requested before start so a container that exits at once is not missed.
    const waited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    await container.start();

    let timedOut = false;
    let aborted = false;
    let timer: NodeJS.Timeout | undefined;
    const stop = new Promise<void>((resolve) => {
      timer = setTimeout(() => { timedOut = true; resolve(); }, opts.timeoutMs);
      if (opts.signal.aborted) { aborted = true; resolve(); }
      opts.signal.addEventListener('abort', () => { aborted = true; resolve(); }, { once: true });
    });
    const first = await Promise.race([waited.then((r) => ({ exit: r.StatusCode })), stop.then(() => undefined)]);
    clearTimeout(timer);
    let exitCode: number;
    if (first) exitCode = first.exit;
    else {
      opts.log(timedOut ? `timeout of ${opts.timeoutMs} ms passed: killing the container` : 'delivery aborted: killing the container');
      await container.kill({ signal: 'SIGKILL' }).catch((e: unknown) => {
        if (statusCode(e) !== 409 && statusCode(e) !== 404) throw e; // 409: already stopped
      });
      exitCode = (await waited).StatusCode;
    }
    // The attach stream ends right after the exit; bound the wait in case it does not.
    await Promise.race([drained, new Promise((r) => setTimeout(r, 2000))]);
    stdout.end();
    stderr.end();
    capture.flush();
    return { containerId: container.id, exitCode, timedOut, aborted: aborted && !timedOut, droppedLines: capture.dropped };
  } finally {
    await container.remove({ force: true, v: true }).catch((e: unknown) => {
      if (statusCode(e) !== 404) opts.log(`could not remove container ${container.id}: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
}

class OutputCapture {
  dropped = 0;
  private lines = 0;
  private readonly partial = new Map<string, string>();

  constructor(private readonly log: (line: string) => void, private readonly maxLines: number) {}

  sink(name: 'stdout' | 'stderr'): PassThrough {
    const s = new PassThrough();
    s.on('data', (chunk: Buffer) => {
      const text = (this.partial.get(name) ?? '') + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial.set(name, parts.pop() ?? '');
      for (const p of parts) this.emit(name, p);
    });
    return s;
  }

  flush(): void {
    for (const [name, rest] of this.partial) if (rest !== '') this.emit(name, rest);
    this.partial.clear();
    if (this.dropped > 0) this.log(`(${this.dropped} more lines of output not recorded)`);
  }

  private emit(name: string, line: string): void {
    if (this.lines >= this.maxLines) { this.dropped++; return; }
    this.lines++;
    this.log(`${name}: ${line.replace(/\r$/, '')}`);
  }
}
