import t from 'tap'
import { AUTHENTICATOR_SCHEMAS, ConfigSchema } from '../../src/config/schema.js'
import { schemaKeys } from '../../src/config/reference.js'
import { parseConfig } from '../../src/config/load.js'
import type { AuthenticatorConfig } from '../../src/config/types.js'
import { jwtOptions } from '../../src/config/jwt-options.js'
import { introspectionSettings } from '../../src/auth/introspection.js'

/**
 * Leaving a key out must mean what the reference says its default is: a config with every
 * documented default written out normalises exactly as one without them. The loader keeps
 * each authenticator's entry as written and the authenticator applies its own defaults, so
 * those are compared on what the jwt and introspection authenticators make of an entry.
 */
const base = () => ({
  server: { routing: {} },
  cache: { local: {} },
  identity: { headers: {}, assertion: {} },
  tokens: {},
  clients: [{ id: 'app', rateLimit: { max: 5, window: '1m' }, certificate: {} }],
  upstreams: { u: { url: 'http://127.0.0.1:8000' } },
  routes: [
    { match: '/ws/*', methods: ['GET'], upstream: 'u', policy: 'public', rateLimit: { max: 1, window: '1s' }, websocket: {}, require: { claims: { a: 'b' } } },
    { match: '/api/*', upstream: 'u', policy: 'public' }
  ]
})

/** Sets `value` at every place `segments` reaches (`[]`: each element, `<name>`: each entry) where the parent exists and the key does not. */
function fillDefault (node: unknown, segments: string[], value: unknown): void {
  if (node === null || typeof node !== 'object') return
  const [head, ...rest] = segments
  if (head === undefined) return
  const arrayKey = head.endsWith('[]') ? head.slice(0, -2) : undefined
  if (rest.length === 0 && arrayKey === undefined && head !== '<name>') {
    if (!Array.isArray(node) && !(head in node)) (node as Record<string, unknown>)[head] = structuredClone(value)
    return
  }
  if (head === '<name>') {
    for (const child of Object.values(node)) fillDefault(child, rest, value)
    return
  }
  const child = (node as Record<string, unknown>)[arrayKey ?? head]
  if (arrayKey !== undefined && Array.isArray(child)) for (const item of child) fillDefault(item, rest, value)
  else if (arrayKey === undefined) fillDefault(child, rest, value)
}

/** The config keys (authenticators aside) that document a default. */
const defaulted = [...schemaKeys(ConfigSchema)].filter(k => (k.schema as { default?: unknown }).default !== undefined && !k.path.startsWith('authenticators.'))

function withDefaults (config: ReturnType<typeof base>, keys = defaulted, overrides: Record<string, unknown> = {}): ReturnType<typeof base> {
  const out = structuredClone(config)
  for (const key of keys) fillDefault(out, key.path.split('.'), overrides[key.path] ?? (key.schema as { default?: unknown }).default)
  return out
}

function normalised (config: unknown): unknown {
  // Warnings are located in the text (line:col), which the written-out defaults shift.
  const { file: _f, hash: _h, warnings: _w, ...rest } = parseConfig(JSON.stringify(config), '/etc/gatehouse/gw.yaml', {})
  return rest
}

const text = (config: unknown): string => JSON.stringify(normalised(config), (_k, v: unknown) => v instanceof Map ? [...v] : v instanceof Set ? [...v] : v)

/** The keys whose documented default, written out alone, changes the normalised config. */
function disagreeing (overrides: Record<string, unknown> = {}): string[] {
  const left = text(base())
  return defaulted.filter(k => text(withDefaults(base(), [k], overrides)) !== left).map(k => k.path)
}

t.test('every documented default is what the loader does when the key is left out', async t => {
  const written = withDefaults(base())
  t.not(JSON.stringify(written), JSON.stringify(base()), 'some defaults were written out')
  const wrong = disagreeing()
  t.same(wrong, [], wrong.length === 0 ? 'every default agrees' : `the schema's default differs from the loader's for: ${wrong.join(', ')}`)
  t.same(normalised(written), normalised(base()), 'all of them written out at once')
})

t.test('a default the loader does not apply is caught, and named', async t => {
  t.same(disagreeing({ 'server.listen': '0.0.0.0:8081', 'routes[].rateLimit.onRedisError': 'closed', 'clients[].disabled': true }),
    ['server.listen', 'clients[].disabled', 'routes[].rateLimit.onRedisError'])
})

/** An authenticator entry with every default its type documents written out. */
function authenticatorWithDefaults<T extends Record<string, unknown>> (type: keyof typeof AUTHENTICATOR_SCHEMAS, spec: T): T {
  const out: Record<string, unknown> = { ...spec }
  for (const key of schemaKeys(AUTHENTICATOR_SCHEMAS[type])) {
    const dflt = (key.schema as { default?: unknown }).default
    if (dflt !== undefined && !key.path.includes('.') && !(key.path in out)) out[key.path] = dflt
  }
  return out as T
}

t.test('the jwt and introspection authenticators apply the defaults the reference documents', async t => {
  const jwt = { type: 'jwt' as const, issuer: 'https://idp.example/', audience: 'api', jwksUri: 'https://idp.example/jwks' }
  t.not(Object.keys(authenticatorWithDefaults('jwt', jwt)).length, Object.keys(jwt).length)
  t.same(jwtOptions(authenticatorWithDefaults('jwt', jwt)), jwtOptions(jwt))
  const spec = { type: 'introspection' as const, endpoint: 'https://as.example/introspect', clientId: 'gw', clientSecret: 's' }
  const cfg = (s: typeof spec): AuthenticatorConfig<'introspection'> => ({ name: 'as', type: 'introspection', principal: 'user', spec: s })
  t.not(Object.keys(authenticatorWithDefaults('introspection', spec)).length, Object.keys(spec).length)
  t.same(introspectionSettings(cfg(authenticatorWithDefaults('introspection', spec))), introspectionSettings(cfg(spec)))
})
