/**
 * Writes the entry files tap runs: dist/test/groups/NN.test.js, each importing a share of the
 * built test files. A Node process costs this machine about a second of CPU to start, load the
 * gateway and warm its JIT; one process per test file spent more than half the suite on that.
 * Each test file still tests one behaviour and names it; a group runs its files' tests one after
 * another in one process, and tap runs the groups side by side.
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
  const share = files.filter((_, i) => i % groups === g)
  const imports = share.map(f => `import '${relative(out, f)}'\n`).join('')
  writeFileSync(join(out, `${String(g + 1).padStart(2, '0')}.test.js`), imports)
}
