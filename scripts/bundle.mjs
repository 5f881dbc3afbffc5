// `npm run bundle`: what `gatehouse`, `npm start` and the image run (dist/bundle), from the compiled dist/:
// gatehouse.cjs, the whole CLI as one CommonJS script (each module evaluated only when a command
// or a config needs it); main.js, the launcher that runs it from a code cache (cli/launch.ts);
// and schema-issues.js, the TypeBox error reporter, loaded only when a config fails its check
// (src/config/load.ts requires it by that path).
import { createHash } from 'node:crypto'
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

const shared = { bundle: true, platform: 'node', target: 'node22', logLevel: 'warning' }

// One script rather than chunks loaded as ES modules: Node's loader resolves, reads and links
// each chunk, and a V8 code cache can be made of a script after it ran (cli/launch.ts). Within
// it esbuild evaluates a module the first time it is imported, as the chunks were.
await build({
  ...shared,
  outfile: 'dist/bundle/gatehouse.cjs',
  entryPoints: ['dist/cli/main.js'],
  plugins: [lazyRequires],
  format: 'cjs',
  // Half the text to read and keep (no comments, no indentation); names stay, for stack traces.
  minifyWhitespace: true,
  // The packages' licence notices, in gatehouse.cjs.LEGAL.txt beside it.
  legalComments: 'external',
  // Modules that find files beside themselves (schema-issues.js) or require through createRequire.
  define: { 'import.meta.url': '__gatehouseUrl', 'import.meta.dirname': '__dirname' },
  // Strict mode, as each module had as an ES module (esbuild's own directive would come after the banner).
  banner: { js: "'use strict'; const __gatehouseUrl = require('node:url').pathToFileURL(__filename).href;" }
})
const script = await readFile('dist/bundle/gatehouse.cjs')
// The launcher reads the script as Latin-1, a one-byte string for V8 (half the memory of UTF-16):
// esbuild escapes every other character in code (its default charset), and no comments are left.
const wide = script.findIndex(byte => byte > 0x7f)
if (wide !== -1) throw new Error(`scripts/bundle.mjs: dist/bundle/gatehouse.cjs has a non-ASCII byte at ${wide}`)

await build({
  ...shared,
  outfile: 'dist/bundle/main.js',
  entryPoints: ['dist/cli/launch.js'],
  format: 'esm',
  define: { GATEHOUSE_BUILD: JSON.stringify(createHash('sha256').update(script).digest('hex').slice(0, 16)) }
})

await build({
  ...shared,
  outdir: 'dist/bundle',
  entryPoints: { 'schema-issues': 'dist/src/config/schema-issues.js' },
  format: 'esm',
  // The CommonJS packages inside still use require, __filename and __dirname.
  banner: {
    js: "import { createRequire as __gatehouseRequire } from 'node:module'; import { fileURLToPath as __gatehousePath } from 'node:url'; " +
      'const require = __gatehouseRequire(import.meta.url); const __filename = __gatehousePath(import.meta.url); ' +
      "const __dirname = __gatehousePath(new URL('.', import.meta.url));"
  }
})
