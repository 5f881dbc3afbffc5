import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configJsonSchema } from './json-schema.js'

// `npm run schema`: regenerates schema/ from the TypeBox types (a test fails when it is stale).
const target = join(import.meta.dirname, '..', '..', '..', 'schema', 'gateway.config.schema.json')
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`)
process.stdout.write(`wrote ${target}\n`)
