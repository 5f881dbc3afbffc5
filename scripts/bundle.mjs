// `npm run bundle`: what `gatehouse`, `npm start` and the image run (dist/bundle), from the compiled dist/.
//   main.js            the executable (cli/launch.ts): runs gatehouse.cjs from V8's code cache
//   gatehouse.cjs      the CLI in one script, for a code cache of the whole start (cli/launch.ts)
//   schema-issues.js   the TypeBox error reporter, loaded only when a config fails its check
import { readFile } from 'node:fs/promises'
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

/**
 * Node's http2 (with tls under it) costs a start 6–14 ms, and https a few more, yet nothing
 * gatehouse runs uses them unless it serves TLS: Fastify's server.js requires both for the
 * `http2` and `https` options gatehouse never gives it, and undici's client requires its
 * HTTP/2 half for a connection that negotiates h2, which its pools never offer. Each require
 * is made where it is used. A package whose text has moved on fails the build here, loudly.
 */
const LAZY = [
  {
    file: /node_modules\/fastify\/lib\/server\.js$/,
    replace: [
      ["const https = require('node:https')", "const https = { createServer: (...args) => require('node:https').createServer(...args) }"],
      ["const http2 = require('node:http2')", 'const http2 = { createServer: (...args) => require(\'node:http2\').createServer(...args), ' +
        'createSecureServer: (...args) => require(\'node:http2\').createSecureServer(...args) }']
    ]
  },
  {
    file: /node_modules\/undici\/lib\/dispatcher\/client\.js$/,
    replace: [["const connectH2 = require('./client-h2.js')", "const connectH2 = (...args) => require('./client-h2.js')(...args)"]]
  }
]

const lazyRequires = {
  name: 'lazy-requires',
  setup (b) {
    for (const { file, replace } of LAZY) {
      b.onLoad({ filter: file }, async ({ path }) => {
        let contents = await readFile(path, 'utf8')
        for (const [from, to] of replace) {
          if (!contents.includes(from)) throw new Error(`scripts/bundle.mjs: ${path} no longer has \`${from}\`: check what it requires now`)
          contents = contents.replace(from, to)
        }
        return { contents, loader: 'js' }
      })
    }
  }
}

await build({
  ...common,
  entryPoints: { gatehouse: 'dist/cli/main.js' },
  plugins: [lazyRequires],
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
