// Turns a configured scanner into the exporter's ImageScanner: the cluster
// scan runs images directly (not through the queue: it is its own schedule).

import { randomUUID } from 'node:crypto';
import type { ScannerDef } from './config.js';
import type { ImageScanner } from './exporter.js';
import { normalizeReport, parseReportText } from './normalize/index.js';
import type { ScanRunner } from './runners/types.js';

export function imageScannerFrom(def: ScannerDef, runner: ScanRunner, log: (line: string) => void = () => undefined): ImageScanner {
  return async (image, registryAuth) => {
    const output = await runner.run({
      scanId: randomUUID(), target: { image }, timeoutMs: def.timeoutMs, signal: new AbortController().signal,
      log: (l) => log(`cluster scan of ${image}: ${l}`), registryAuth,
    });
    return normalizeReport(parseReportText(output.text), def.format);
  };
}
