import t from 'tap'
import { Type } from '@sinclair/typebox'
import { ConfigSchema } from '../../src/config/schema.js'
import { undocumentedKeys } from '../../src/config/reference.js'

t.test('every key of the config schema has a description', async t => {
  const missing = undocumentedKeys(ConfigSchema)
  t.same(
    missing,
    [],
    missing.length === 0 ? 'every key is described' : `add a TypeBox description to: ${missing.join(', ')} (src/config/schema.ts), then run \`npm run schema\``
  )
})

t.test('a key without a description is named by its full path, and by its authenticator type', async t => {
  const schema = Type.Object({
    documented: Type.String({ description: 'says what it is for' }),
    server: Type.Object({ listen: Type.String() }, { description: 'the listeners' }),
    clients: Type.Array(Type.Object({ id: Type.String({ description: 'the id' }), scopes: Type.Array(Type.String()) }), { description: 'apps' }),
    authenticators: Type.Record(Type.String(), Type.Union([
      Type.Object({ type: Type.Literal('jwt', { description: 'the type' }), issuer: Type.String({ description: ' ' }) })
    ]), { description: 'by name' })
  })
  t.same(undocumentedKeys(schema), ['server.listen', 'clients[].scopes', 'authenticators.<name>.issuer (type: jwt)'])
})
