import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configJsonSchema } from './json-schema.js'
import { configReference } from './reference.js'

// `npm run schema`: regenerates schema/ and docs/configuration.md from the TypeBox types (tests fail when either is stale).
const root = join(import.meta.dirname, '..', '..', '..')
const targets: Array<[string, string]> = [
  [join(root, 'schema', 'gateway.config.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`],
  [join(root, 'docs', 'configuration.md'), configReference()]
]
for (const [target, text] of targets) {
  writeFileSync(target, text)
  process.stdout.write(`wrote ${target}\n`)
}
