import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { configReference } from '../../src/config/reference.js'
import { ROOT } from '../helpers/paths.js'

t.test('docs/configuration.md is the reference generated from the TypeBox schema', async t => {
  const committed = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8')
  t.equal(committed, configReference(), 'stale: run `npm run schema`')
  t.notMatch(committed, /\bundefined\b/, 'every section and authenticator type has its text and its page')
})
