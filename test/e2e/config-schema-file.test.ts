import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { configJsonSchema } from '../../src/config/json-schema.js'
import { compiledChecksSource } from '../../src/config/compiled-checks.js'
import { ROOT } from '../helpers/paths.js'

t.test('schema/gateway.config.schema.json is the one generated from the TypeBox types', async t => {
  const committed = JSON.parse(readFileSync(join(ROOT, 'schema', 'gateway.config.schema.json'), 'utf8')) as unknown
  t.same(committed, configJsonSchema(), 'stale: run `npm run schema`')
})

t.test('src/config/checks.generated.ts holds the checkers compiled from the TypeBox types', async t => {
  const committed = readFileSync(join(ROOT, 'src', 'config', 'checks.generated.ts'), 'utf8')
  t.ok(committed === compiledChecksSource(), 'stale: run `npm run schema`')
})
