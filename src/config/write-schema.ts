import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configJsonSchema } from './json-schema.js'
import { configReference } from './reference.js'
import { compiledChecksSource } from './compiled-checks.js'

// `npm run schema`: regenerates schema/, docs/configuration.md and the compiled config checkers from the TypeBox types (tests fail when one is stale).
const root = join(import.meta.dirname, '..', '..', '..')
const targets: Array<[string, string]> = [
  [join(root, 'schema', 'gateway.config.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`],
  [join(root, 'docs', 'configuration.md'), configReference()],
  [join(root, 'src', 'config', 'checks.generated.ts'), compiledChecksSource()]
]
for (const [target, text] of targets) {
  writeFileSync(target, text)
  process.stdout.write(`wrote ${target}\n`)
}
