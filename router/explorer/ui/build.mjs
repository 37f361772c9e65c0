// Builds the explorer bundle into ../static/: explorer.js and explorer.css, minified, one
// file each, so the router serves the page with no request leaving the machine. Run
// `npm ci && npm run build` here, then commit ../static/ (the router's package data).
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const out = new URL('../static/', import.meta.url).pathname;
rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { explorer: 'src/main.jsx' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir: out,
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: { '.woff2': 'dataurl', '.woff': 'dataurl', '.png': 'dataurl', '.svg': 'dataurl' },
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const versions = Object.fromEntries(
  ['graphiql', '@graphiql/react', 'graphql', 'react', 'react-dom', 'codemirror'].map((name) => [
    name,
    JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')).version,
  ]),
);
writeFileSync(`${out}versions.json`, JSON.stringify(versions, null, 2) + '\n');
for (const [file, info] of Object.entries(result.metafile.outputs)) {
  console.log(`${file}: ${info.bytes} bytes`);
}
