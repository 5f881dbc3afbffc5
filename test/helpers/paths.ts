import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * The repository root. Tests run from their build in dist/test/ (see docs/testing.md), so a
 * fixed number of '..' from a test would land in dist/: walk up to the package.json instead.
 */
function repositoryRoot (from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}

export const ROOT = repositoryRoot(import.meta.dirname)

/** The built CLI, as `npm test` leaves it (the build runs first). */
export const CLI = join(ROOT, 'dist', 'cli', 'main.js')
