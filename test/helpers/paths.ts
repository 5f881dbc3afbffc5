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

/** The CLI as users run it: the bundle `npm run build` leaves (the build runs first in `npm test`). */
export const CLI = join(ROOT, 'dist', 'bundle', 'main.js')

/**
 * How a test runs `node <args>`, or another Node program such as npm: `[command, argv]`.
 * tap's @tapjs/processinfo puts its module loader into the NODE_OPTIONS of every process a
 * test starts, for coverage; without coverage that loader costs a Node child about 1.4 s of
 * CPU for nothing (a `gatehouse check`: 2.5 CPU-s with it, 1.1 without), so the child runs
 * under `env -u NODE_OPTIONS`. `env` execs it: the pid is the child's own.
 */
export function nodeCommand (args: string[], program = process.execPath): [string, string[]] {
  return process.env.TAP_DISABLE_COVERAGE === '1' ? ['env', ['-u', 'NODE_OPTIONS', program, ...args]] : [program, args]
}
