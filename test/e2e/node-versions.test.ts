import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../helpers/paths.js'

const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8')

// Node 20 is past its end of life (April 2026) and dependencies already refuse it: what the
// package declares, what CI runs, what the image runs and what the README says are one set.
t.test('Node.js 22 and 24, the LTS lines: engines, .ci/run, the Docker image and the README agree', async t => {
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string } }
  t.equal(pkg.engines.node, '>=22', 'engines: Node 22 or later')
  t.match(read('.ci/run'), /^for line in 22 24; do$/m, 'CI runs the suite on Node 22 and on Node 24')
  const from = read('Dockerfile').split('\n').filter(l => l.startsWith('FROM '))
  t.ok(from.length > 0 && from.every(l => l.startsWith('FROM node:24-slim')), `the image is built and run on Node 24 (${from.join('; ')})`)
  t.match(read('README.md'), /Node\.js 22 or 24/, 'the README says which versions are supported')
})
