/**
 * Writes the entry files tap runs: dist/test/groups/NN.test.js, each importing a share of the
 * built test files. A Node process costs this machine about a second of CPU to start, load the
 * gateway and warm its JIT; one process per test file spent more than half the suite on that.
 * Each test file still tests one behaviour and names it; a group runs its files' tests one after
 * another in one process, and tap runs the groups side by side. Its tests are named
 * `e2e/FILE.test.js: test name`, so a failure or a timeout points at the file.
 *
 *   node dist/test/group-files.js [GROUPS]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const built = import.meta.dirname
const groups = Number(process.argv[2] ?? 24)
if (!Number.isInteger(groups) || groups < 1) throw new Error(`GROUPS must be a whole number above 0, not ${process.argv[2]}`)
const files = ['unit', 'e2e']
  .flatMap(dir => readdirSync(join(built, dir)).filter(f => f.endsWith('.test.js')).map(f => join(built, dir, f)))
  .sort()
const out = join(built, 'groups')
rmSync(out, { recursive: true, force: true })
mkdirSync(out)
for (let g = 0; g < groups; g++) {
  // Round robin over the sorted names: files of one area (workers-*, oidc-*), often slow alike, spread out.
  const share = files.filter((_, i) => i % groups === g).map(f => relative(out, f))
  // Each top-level test is named for the file that declared it, so a group that fails or times
  // out (tap lists the tests still running) says which file to look at and run alone.
  // A config that fails its compiled check makes parseConfig require() the TypeBox error reporter,
  // synchronously. Node 22 refuses to require() an ES module that a later file's import() is still
  // loading, and here the files' imports go on while earlier files' tests run; the gateway itself
  // never import()s TypeBox. Loaded whole before any test, the reporter is always there to require.
  const entry = `import t from 'tap'
await import('../../src/config/schema-issues.js')
let file = ''
t.on('subtestAdd', test => { test.name = \`\${file.replace(/^\\.\\.\\//, '')}: \${test.name}\` })
for (file of ${JSON.stringify(share)}) await import(file)
`
  writeFileSync(join(out, `${String(g + 1).padStart(2, '0')}.test.js`), entry)
}
