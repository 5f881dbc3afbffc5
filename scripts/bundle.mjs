// `npm run bundle`: what `gatehouse`, `npm start` and the image run (dist/bundle), from the compiled dist/:
// main.js, one chunk per part a command or a config may not need (loaded by import() when it
// does), and schema-issues.js, the TypeBox error reporter, loaded only when a config fails its
// check (src/config/load.ts requires it by that path).
import { readFile } from 'node:fs/promises'
import { build } from 'esbuild'

/**
 * Node's http2 (with tls under it) costs a start 6–14 ms, and https a few more, yet nothing
 * gatehouse runs uses them unless it serves TLS: Fastify's server.js requires both for the
 * `http2` and `https` options gatehouse never gives it, and undici's client requires its
 * HTTP/2 half for a connection that negotiates h2, which its pools never offer. Fastify's
 * plugin-utils.js loads semver (3 ms) for plugins that name the Fastify versions they take,
 * which gatehouse's own do not. Each require is made where it is used. A package whose text
 * has moved on fails the build here, loudly.
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
    // semver checks a plugin's `fastify` version range: gatehouse's own plugins declare none.
    file: /node_modules\/fastify\/lib\/plugin-utils\.js$/,
    replace: [["const semver = require('semver')", "const semver = { gt: (...args) => require('semver').gt(...args), " +
      "coerce: (...args) => require('semver').coerce(...args), satisfies: (...args) => require('semver').satisfies(...args) }"]]
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
  bundle: true,
  platform: 'node',
  target: 'node22',
  logLevel: 'warning',
  outdir: 'dist/bundle',
  entryPoints: { main: 'dist/cli/main.js', 'schema-issues': 'dist/src/config/schema-issues.js' },
  plugins: [lazyRequires],
  splitting: true,
  format: 'esm',
  // The CommonJS packages inside the chunks still use require, __filename and __dirname.
  banner: {
    js: "import { createRequire as __gatehouseRequire } from 'node:module'; import { fileURLToPath as __gatehousePath } from 'node:url'; " +
      'const require = __gatehouseRequire(import.meta.url); const __filename = __gatehousePath(import.meta.url); ' +
      "const __dirname = __gatehousePath(new URL('.', import.meta.url));"
  }
})
