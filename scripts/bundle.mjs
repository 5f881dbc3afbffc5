// `npm run bundle`: what `gatehouse`, `npm start` and the image run (dist/bundle), from the compiled dist/.
//   main.js            the executable (cli/launch.ts): runs gatehouse.cjs from V8's code cache
//   gatehouse.cjs      the CLI in one script, for a code cache of the whole start (cli/launch.ts)
//   schema-issues.js   the TypeBox error reporter, loaded only when a config fails its check
import { build } from 'esbuild'

const common = { bundle: true, platform: 'node', target: 'node22', logLevel: 'warning', outdir: 'dist/bundle' }

/**
 * Packages only some configs or requests use stay in node_modules, loaded by Node (and its own
 * compile cache) when used: in the script they would be read and parsed at every start (about
 * 1.9 MB of its 4.5), and an empty code cache would cost a full parse of them.
 */
const external = [
  'ioredis', // cache.redis
  '@opentelemetry/*', // telemetry
  'ws', // WebSocket routes
  'prom-client', // the first /metrics scrape
  'oauth4webapi', // browser login
  '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler' // the first request a schema checks (http/lazy-schema-compilers.ts)
]

await build({
  ...common,
  entryPoints: { gatehouse: 'dist/cli/main.js' },
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  external,
  // The launcher compiles the file as it is (V8 takes the `#!` line esbuild keeps first): one function
  // of CommonJS's five names and the file's URL, what `import.meta.url` becomes.
  banner: { js: '(function (exports, require, module, __filename, __dirname, __gatehouseUrl) {' },
  footer: { js: '})' },
  define: { 'import.meta.url': '__gatehouseUrl' },
  // License comments go to gatehouse.cjs.LEGAL.txt: the script stays ASCII, read as one-byte text.
  legalComments: 'linked'
})

await build({
  ...common,
  entryPoints: { main: 'dist/cli/launch.js', 'schema-issues': 'dist/src/config/schema-issues.js' },
  format: 'esm'
})
