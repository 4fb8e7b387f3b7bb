// Builds the web console (src/ui/app, Preact) with Vite into dist/ui-app,
// which the server serves under /ui. Run by `npm run build` (and so by
// `npm ci` through prepare): nothing is fetched at run time or from a CDN.
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../src/ui/app', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/ui-app', import.meta.url));

await build({
  root,
  base: '/ui/',
  configFile: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: true,
    // Everything as files under /ui/assets: the Content-Security-Policy allows no inline script or style.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
console.log(`console built into ${outDir}`);
