import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ERRORS } from '../../src/errors.js'
import { ROOT } from '../helpers/paths.js'

/** The rows of the first table under the page's `| status | code | when |` header: [status, code]. */
function tableRows (markdown: string): Array<[number, string]> {
  const lines = markdown.split('\n')
  const start = lines.findIndex(l => /^\|\s*status\s*\|\s*code\s*\|/.test(l))
  if (start === -1) return []
  const rows: Array<[number, string]> = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    const [, status, code] = line.split('|').map(c => c.trim())
    rows.push([Number(status), (code ?? '').replace(/`/g, '')])
  }
  return rows
}

/** What differs between the registry and the table, one line each. */
function differences (registry: Record<string, { status: number }>, rows: Array<[number, string]>): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const [status, code] of rows) {
    if (seen.has(code)) out.push(`${code}: listed twice`)
    seen.add(code)
    const entry = registry[code]
    if (entry === undefined) out.push(`${code}: in the table but not in src/errors.ts`)
    else if (entry.status !== status) out.push(`${code}: the table says ${status}, src/errors.ts ${entry.status}`)
  }
  for (const code of Object.keys(registry)) if (!seen.has(code)) out.push(`${code}: in src/errors.ts but not in the table`)
  return out
}

t.test('docs/errors.md lists every code of src/errors.ts, once, with its status, and no other', async t => {
  const rows = tableRows(readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8'))
  t.ok(rows.length > 0, 'docs/errors.md has a | status | code | when | table')
  const diff = differences(ERRORS, rows)
  t.same(diff, [], diff.length === 0 ? 'docs/errors.md agrees with src/errors.ts' : `docs/errors.md and src/errors.ts disagree:\n${diff.join('\n')}`)
})

t.test('the comparison catches a missing code, an unknown code, a wrong status and a repeat', async t => {
  const rows = tableRows(
    '| status | code | when |\n|---|---|---|\n| 401 | `a` | x |\n| 404 | `b` | y |\n| 500 | `c` | ' +
      'z |\n| 500 | `c` | z |\n\n| status | code | when |\n|---|---|---|\n| 1 | `later` | ignored |\n'
  )
  t.same(rows, [[401, 'a'], [404, 'b'], [500, 'c'], [500, 'c']])
  t.same(differences({ a: { status: 401 }, b: { status: 403 }, d: { status: 400 } }, rows), [
    'b: the table says 404, src/errors.ts 403',
    'c: in the table but not in src/errors.ts',
    'c: listed twice',
    'c: in the table but not in src/errors.ts',
    'd: in src/errors.ts but not in the table'
  ])
})
