// Keys that cfg.yaml may use (Postee v2 and Hooker). Anything else is warned
// about by path so a typo never silently drops a setting.

import { SCAN_TOP_LEVEL_KEYS } from '../scan/config.js';

export const TOP_LEVEL_KEYS = [
  'name', 'khulnasoft-server', 'aqua-server', 'max-db-size', 'delete-old-data', 'db-verify-interval',
  'routes', 'templates', 'actions', 'outputs', 'rules',
  // Hooker's extension for scan triggering (docs/scanning.md)
  ...SCAN_TOP_LEVEL_KEYS,
];
export const ROUTE_KEYS = ['name', 'input', 'input-files', 'actions', 'outputs', 'template', 'serialize-actions', 'serialize-outputs', 'plugins', 'split-by'];
export const PLUGIN_KEYS = ['aggregate-message-number', 'aggregate-message-timeout', 'unique-message-props', 'unique-message-timeout'];
export const TEMPLATE_KEYS = ['name', 'rego-package', 'body', 'url', 'legacy-scan-renderer'];
export const ACTION_COMMON_KEYS = ['name', 'type', 'enable', 'kind', 'priority', 'retries', 'retry-backoff', 'retry-max-backoff', 'concurrency', 'rate-limit'];
