// The ScanService of the running server. Action factories are plain values
// built before the server exists, so the scan action finds the service here
// at delivery time; the server binds it at start and unbinds it at stop.

import type { ScanService } from './service.js';

let active: ScanService | undefined;

export function bindScanService(service: ScanService | undefined): void {
  active = service;
}

export function activeScanService(): ScanService | undefined {
  return active;
}
