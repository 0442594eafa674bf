// Builds the dashboard's page into dist/ui: the script bundled by esbuild (no framework, no CDN:
// it works offline), the page and its stylesheet copied beside it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const from = 'src/ui/page';
const to = 'dist/ui';
mkdirSync(to, { recursive: true });
await build({
  entryPoints: [`${from}/main.ts`],
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  outfile: `${to}/app.js`,
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css', 'favicon.svg']) copyFileSync(`${from}/${file}`, `${to}/${file}`);
