import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_SEMI_SPACE_MIB } from '../../runtime/heap.js'
import { ROOT } from '../helpers/paths.js'

/** The node flags a launcher puts between `node` and the bundle. */
function flagsBefore (words: string[]): string[] {
  return words.slice(words.indexOf('node') + 1, words.indexOf('dist/bundle/main.js'))
}

t.test('npm start and the image start node with the young generation capped, with the same flags', async t => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const npmStart = flagsBefore(scripts.start.split(/\s+/))
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1]
  t.ok(entrypoint, 'the Dockerfile has an exec-form ENTRYPOINT')
  const image = flagsBefore(JSON.parse(entrypoint ?? '[]') as string[])
  // Node 24 grows the young generation to 128 MiB under a stream of new tokens (docs/operations.md, Memory).
  t.ok(npmStart.includes(`--max-semi-space-size=${MAX_SEMI_SPACE_MIB}`), 'npm start caps it as the cluster caps its workers')
  t.same(image, npmStart, 'the image starts node as npm start does')
})
