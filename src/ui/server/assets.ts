// The console's single-page app as built by `npm run build:ui` (Vite, into
// dist/ui-app): read once into memory and served under /ui with a strict
// Content-Security-Policy. Every other path under /ui is the app's own
// (client-side routing), so it gets index.html.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Scripts, styles and connections from this server only; nothing inline, no frames, no plugins. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'", "connect-src 'self'",
  "manifest-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
};

export interface Asset { body: Buffer; type: string; immutable: boolean }

/** The repository (or installed package) root: the nearest directory up with package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the package root of the console assets');
    dir = up;
  }
  return dir;
}

export function defaultAssetsDir(): string {
  return join(packageRoot(), 'dist', 'ui-app');
}

/** Built files by URL path below /ui/ ("index.html", "assets/index-abc.js"); empty when the app was not built. */
export function loadAssets(dir = defaultAssetsDir()): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) { walk(path); continue; }
      const rel = relative(dir, path).split(sep).join('/');
      out.set(rel, { body: readFileSync(path), type: TYPES[extname(name)] ?? 'application/octet-stream', immutable: rel.startsWith('assets/') });
    }
  };
  walk(dir);
  return out;
}
