import t from 'tap'
import fc from 'fast-check'
import { schemaValid } from '../../src/config/load.js'
import { schemaErrors } from '../../src/config/schema-issues.js'

/** A config that uses most keys, every authenticator type among them. */
const BASE = {
  server: { listen: '127.0.0.1:8080', admin: '127.0.0.1:9090', bodyLimit: '1MiB', requestTimeout: '30s', trustProxy: false, routing: { caseSensitive: false } },
  cache: { redis: 'redis://127.0.0.1:6379', local: { maxEntries: 1000 } },
  identity: { headers: { user: 'Remote-User' }, claims: { email: 'Remote-Email' }, strip: ['Remote-*'] },
  clients: [{ id: 'android', apiKeys: [{ hash: `sha256:${'a'.repeat(64)}` }], scopes: ['orders:read'], userTokenClients: ['android-id'] }],
  authenticators: {
    appKey: { type: 'apiKey', header: 'X-API-Key' },
    appToken: { type: 'clientToken' },
    appCert: { type: 'mtls' },
    idp: { type: 'jwt', issuer: 'https://idp.example/', audience: 'orders', jwksUri: 'https://idp.example/jwks.json', algorithms: ['RS256'] },
    oauth: { type: 'introspection', endpoint: 'https://as.example/introspect', clientId: 'gw', clientSecret: 's' },
    staff: { type: 'basic', usersFile: 'users.htpasswd' },
    personal: { type: 'userToken' },
    browser: { type: 'oidc', issuer: 'https://idp.example/', clientId: 'web', clientSecret: 's', scopes: ['openid'] }
  },
  upstreams: { orders: { url: 'http://127.0.0.1:8000', timeout: '5s' } },
  routes: [
    {
      match: '/api/orders/*',
      upstream: 'orders',
      policy: 'client+user',
      client: ['appKey'],
      user: ['idp', 'oauth'],
      scopes: ['orders:read'],
      rateLimit: { max: 10, window: '1m', by: 'user' }
    },
    { match: '/api/articles/*', upstream: 'orders', policy: { GET: 'public', '*': 'user' }, user: ['idp'] }
  ]
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** Every path to a value in `value`, the root excluded. */
function paths (value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return []
  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value)
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])])
}

/** `base` with the value at `path` replaced (or, for undefined, removed). */
function withValue (base: Json, path: Array<string | number>, next: Json | undefined): Json {
  const copy = structuredClone(base) as Record<string | number, Json>
  let cursor = copy
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string | number, Json>
  const last = path[path.length - 1] as string | number
  if (next === undefined) {
    if (Array.isArray(cursor)) cursor.splice(last as number, 1)
    else delete cursor[last]
  } else {
    cursor[last] = next
  }
  return copy
}

const reported = (data: unknown): number => {
  let n = 0
  schemaErrors(data, () => { n++ })
  return n
}

t.test('the compiled checkers (every start) and TypeBox\'s errors (a failing config) agree on what is valid', async t => {
  t.ok(schemaValid(BASE), 'the base config is valid')
  t.equal(reported(BASE), 0)
  const all = paths(BASE as Json)
  const mutant = fc.record({
    path: fc.constantFrom(...all),
    value: fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
      fc.constantFrom<Json>('', 'x', -1, 0, 1.5, '10MiB', '30s', 'GET', 'public', 'redis://x', 'http://x', '/x', ['x'], {}, { type: 'jwt' })
    ),
    extra: fc.option(fc.tuple(fc.constantFrom(...all.filter(p => typeof p.at(-1) === 'string')), fc.string({ minLength: 1, maxLength: 8 })), { nil: undefined })
  })
  let invalid = 0
  fc.assert(fc.property(mutant, ({ path, value, extra }) => {
    let data = withValue(BASE as Json, path, value)
    // An unknown key beside a known one: the schemas are strict.
    if (extra !== undefined) {
      const [at, key] = extra
      const parentPath = at.slice(0, -1)
      let parent: Json = data
      for (const k of parentPath) parent = (parent as Record<string | number, Json>)?.[k] as Json
      if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) data = withValue(data, [...parentPath, `${key}_unknown`], 1)
    }
    const valid = schemaValid(data)
    if (!valid) invalid++
    return valid === (reported(data) === 0)
  }), { numRuns: 1500, seed: 20261202 })
  t.ok(invalid > 300, `the generated configs include many invalid ones (${invalid})`)
})
