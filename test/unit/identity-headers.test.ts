import t from 'tap'
import { acceptRequestId, compileIdentityPlan, identityHeaders, withoutQueryParams } from '../../src/identity/headers.js'
import type { IdentityConfig } from '../../src/config/types.js'
import type { Identity } from '../../src/policy/authenticate.js'
import { GatehouseError } from '../../src/errors.js'
import { MINIMAL, configOf } from '../helpers/config.js'
import { clientRecord } from '../helpers/client-record.js'

const DEFAULTS = configOf(MINIMAL).identity
const plan = (identity: Partial<IdentityConfig> = {}): ReturnType<typeof compileIdentityPlan> => compileIdentityPlan({ ...DEFAULTS, ...identity })

const record = clientRecord('android')
function identity (user?: { id: string, scopes?: string[], claims?: Record<string, unknown> }, clientId?: string): Identity {
  return {
    client: clientId === undefined ? undefined : { kind: 'client', id: clientId, client: record, scopes: ['client:scope'], authenticator: 'keys' },
    user:
      user === undefined
        ? undefined
        : { kind: 'user', id: user.id, scopes: user.scopes ?? [], claims: user.claims ?? {}, tokenClientId: undefined, authenticator: 'idp' },
    authenticators: [...(clientId === undefined ? [] : ['keys']), ...(user === undefined ? [] : ['idp'])]
  }
}

t.test('the default plan strips Remote-*, the method overrides, and any name with _', async t => {
  const p = plan()
  for (const name of ['remote-user', 'remote-anything', 'x-http-method-override', 'x-original-url', 'remote_user', 'x_anything']) t.ok(p.isStripped(name), name)
  for (const name of ['x-request-id', 'authorization', 'content-type', 'user-agent', 'xremote-user']) t.notOk(p.isStripped(name), name)
})

t.test('names are compared as a CGI layer folds them: every non-alphanumeric is the same character', async t => {
  const p = plan()
  for (const name of ['remote.user', 'remote~user', 'x.http.method.override']) t.ok(p.isStripped(name), name)
})

t.test('glob patterns: exact, prefix, suffix and inner wildcards, case-insensitive', async t => {
  const p = plan({ strip: ['X-Exact', 'Prefix-*', '*-Suffix', 'A-*-B', 'Many*Stars*Here'], stripOverrides: [] })
  const stripped = ['x-exact', 'prefix-', 'prefix-one', '-suffix', 'one-suffix', 'a--b', 'a-x-b', 'a-x-y-b', 'manystarshere', 'many-x-stars-y-here']
  const kept = ['x-exact-no', 'preFIX', 'suffix', 'a-b', 'a-x-c', 'many-stars']
  for (const name of stripped) t.ok(p.isStripped(name), `${name} stripped`)
  for (const name of kept) t.notOk(p.isStripped(name), `${name} kept`)
  t.ok(plan({ strip: ['X.Dotted+Name'], stripOverrides: [] }).isStripped('x-dotted-name'), 'a pattern is folded too: regex characters are not special')
})

t.test('the configured identity, claim and assertion headers are stripped even outside the patterns', async t => {
  const p = plan({
    strip: [],
    stripOverrides: [],
    headers: { user: 'X-User', client: 'X-Client', scopes: 'X-Scopes', auth: 'X-Auth' },
    claims: [['email', 'X-Email']],
    assertion: { header: 'X-Identity', ttlMs: 60_000 }
  })
  for (const name of ['x-user', 'x-client', 'x-scopes', 'x-auth', 'x-email', 'x-identity', 'x.user']) t.ok(p.isStripped(name), name)
  t.notOk(p.isStripped('remote-user'), 'no pattern: Remote-User is just a header')
})

t.test('identity headers: user, client, scopes (the user\'s), authenticators and mapped claims', async t => {
  const p = plan({ claims: [['email', 'Remote-Email'], ['groups', 'Remote-Groups'], ['absent', 'Remote-Absent']] })
  t.same(identityHeaders(p, identity({ id: 'alice', scopes: ['a', 'b'], claims: { email: 'alice@example.com', groups: ['x', 'y', 3, true] } }, 'android')), [
    ['remote-user', 'alice'],
    ['remote-client', 'android'],
    ['remote-scopes', 'a b'],
    ['remote-auth', 'keys,idp'],
    ['remote-email', 'alice@example.com'],
    ['remote-groups', 'x,y,3,true']
  ])
  t.same(
    identityHeaders(p, identity(undefined, 'android')),
    [
      ['remote-client', 'android'],
      ['remote-scopes', 'client:scope'],
      ['remote-auth', 'keys']
    ],
    'a client alone: its scopes'
  )
  t.same(identityHeaders(p, identity()), [], 'anonymous: nothing')
  t.same(
    identityHeaders(p, identity({ id: 'bob', claims: { email: '', groups: null } })),
    [
      ['remote-user', 'bob'],
      ['remote-auth', 'idp']
    ],
    'empty claims are left out'
  )
})

t.test('a value an upstream could read another way is refused with 401, never forwarded', async t => {
  const p = plan({ claims: [['email', 'Remote-Email']] })
  const refused = (id: Identity): string | undefined => {
    try {
      identityHeaders(p, id)
      return undefined
    } catch (err) {
      t.ok(err instanceof GatehouseError)
      t.equal((err as GatehouseError).code, 'invalid_token')
      t.equal((err as GatehouseError).principal, 'user', 'the user\'s token is what cannot be told')
      return (err as GatehouseError).detail
    }
  }
  t.equal(
    refused(identity({ id: 'alice,admin' })),
    "the token's user id cannot be told to the upstream: visible ASCII without a comma or spaces, at most 256 characters"
  )
  t.match(refused(identity({ id: 'alice admin' })), /user id/)
  t.match(refused(identity({ id: 'x'.repeat(257) })), /user id/)
  t.equal(
    refused(identity(undefined, 'and\nroid')),
    "the token's client id cannot be told to the upstream: visible ASCII without a comma or spaces, at most 256 characters"
  )
  t.equal(
    refused(identity({ id: 'alice', scopes: ['a"b'] })),
    "the token's scope cannot be told to the upstream: each scope is an RFC 6749 scope-token (no spaces, quotes or backslashes)"
  )
  t.match(refused(identity({ id: 'alice', claims: { email: ' padded' } })), /email claim/)
  t.match(refused(identity({ id: 'alice', claims: { email: 'a,b' } })), /email claim/)
  t.equal(
    refused(identity({ id: 'alice', claims: { email: { nested: 1 } } })),
    "the token's email claim cannot be told to the upstream: each value is a string, " +
      'number or boolean of printable characters without a comma or surrounding spaces'
  )
  t.equal(refused(identity({ id: 'x'.repeat(256), claims: { email: 'Zoë Ünïcode' } })), undefined, '256 characters and Latin-1 pass')
})

t.test('request ids: a plain token is kept, anything else replaced', async t => {
  t.equal(acceptRequestId('abc-123_x.y:z@w'), 'abc-123_x.y:z@w')
  t.equal(acceptRequestId(undefined), undefined)
  t.equal(acceptRequestId(['a', 'b']), undefined)
  t.equal(acceptRequestId('has space'), undefined)
  t.equal(acceptRequestId('x'.repeat(129)), undefined)
})

t.test('consumed query parameters are removed, the rest kept', async t => {
  t.equal(withoutQueryParams('api_key=s3cret&page=2', ['api_key']), 'page=2')
  t.equal(withoutQueryParams('api_key=1&api_key=2', ['api_key']), '')
  t.equal(withoutQueryParams('q=a%20b', []), 'q=a%20b', 'nothing consumed: the query as sent, not re-encoded')
  t.equal(withoutQueryParams('', ['api_key']), '')
})
