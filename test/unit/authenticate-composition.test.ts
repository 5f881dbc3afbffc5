import t from 'tap'
import { GatehouseError, type Challenge } from '../../src/errors.js'
import { authenticate, challengesOf, type RouteAuth } from '../../src/policy/authenticate.js'
import type { AuthRequest, Authenticator, Principal } from '../../src/auth/types.js'
import type { PolicyName } from '../../src/config/schema.js'

/**
 * The composition of authenticators on its own, with stand-ins whose answer the test sets:
 * which one runs, what a refusal carries (code, principal, authenticator, every challenge),
 * and that what fails otherwise than 401 passes through untouched.
 */
type Answer = Principal | undefined | GatehouseError

function stand (name: string, principal: 'client' | 'user', scheme: string, header: string, answer: (req: AuthRequest) => Answer): Authenticator {
  return {
    name,
    type: 'stand-in',
    principal,
    challenge: { scheme, params: { realm: 'gatehouse' } },
    consumes: { headers: [header], query: [] },
    authenticate (req) {
      const a = answer(req)
      if (a instanceof GatehouseError) throw a
      return a
    }
  }
}

const clientOf = (id: string): Principal => ({ kind: 'client', id, scopes: [], authenticator: 'keys' }) as unknown as Principal
const userOf = (id: string): Principal => ({ kind: 'user', id, scopes: [], claims: {}, authenticator: 'idp' }) as unknown as Principal
const byHeader = (header: string, p: Principal) => (req: AuthRequest): Answer => req.headers[header] === undefined ? undefined : p

const keys = stand('keys', 'client', 'ApiKey', 'x-api-key', byHeader('x-api-key', clientOf('android')))
const certs = stand('certs', 'client', 'ClientCertificate', 'x-cert', byHeader('x-cert', clientOf('ios')))
const idp = stand('idp', 'user', 'Bearer', 'authorization', byHeader('authorization', userOf('alice')))
const drf = stand('drf', 'user', 'Bearer', 'authorization', () => undefined)

const route = (policy: Record<string, PolicyName>, clientAuth: Authenticator[] = [keys, certs], userAuth: Authenticator[] = [idp]): RouteAuth => ({
  policy,
  clientAuth,
  userAuth
})
const req = (headers: Record<string, string> = {}): AuthRequest => ({ method: 'GET', headers, query: '', ip: '10.0.0.1' })

async function refusal (p: Promise<unknown>): Promise<GatehouseError> {
  try {
    await p
  } catch (err) {
    if (err instanceof GatehouseError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

const schemes = (challenges: Challenge[] | undefined): string[] => (challenges ?? []).map(c => c.scheme)

t.test('a method the policy does not name asks for a client and a user', async t => {
  const r = route({ GET: 'public' })
  t.same((await authenticate(r, 'GET', req())).authenticators, [], 'GET is public')
  const err = await refusal(authenticate(r, 'PATCH', req({ 'x-api-key': 'k' })))
  t.equal(err.code, 'missing_credentials')
  t.equal(err.detail, 'a user credential is required')
  t.equal(err.principal, 'user')
  t.same(schemes(err.challenges), ['Bearer'], 'only the missing principal\'s challenges')
})

t.test('what is missing is named, with the challenges of exactly the missing principals', async t => {
  const both = await refusal(authenticate(route({ GET: 'client+user' }), 'GET', req()))
  t.equal(both.detail, 'client and user credentials are required')
  t.equal(both.principal, 'client')
  t.same(schemes(both.challenges), ['ApiKey', 'ClientCertificate', 'Bearer'])
  const client = await refusal(authenticate(route({ GET: 'client' }), 'GET', req({ authorization: 'x' })))
  t.equal(client.detail, 'a client credential is required')
  t.equal(client.principal, 'client')
  t.same(schemes(client.challenges), ['ApiKey', 'ClientCertificate'])
  const user = await refusal(authenticate(route({ GET: 'user' }), 'GET', req({ 'x-cert': 'c' })))
  t.equal(user.detail, 'a user credential is required')
  t.same(schemes(user.challenges), ['Bearer'])
  t.same((await authenticate(route({ GET: 'public' }), 'GET', req())), { client: undefined, user: undefined, authenticators: [] }, 'public: anonymous')
})

t.test('the first authenticator that recognises a credential decides; both principals are reported in order', async t => {
  const id = await authenticate(route({ GET: 'client+user' }), 'GET', req({ 'x-cert': 'c', authorization: 'x' }))
  t.equal(id.client?.id, 'ios', 'keys saw no key: the next one is asked')
  t.equal(id.user?.id, 'alice')
  t.same(id.authenticators, ['certs', 'idp'])
  const two = await refusal(authenticate(route({ GET: 'client' }), 'GET', req({ 'x-api-key': 'k', 'x-cert': 'c' })))
  t.equal(two.code, 'invalid_credentials', 'the first in route order takes its credential; the second credential is refused, never ignored')
  t.equal(two.authenticator, 'certs')
  t.same((await authenticate(route({ GET: 'user' }), 'GET', req({ authorization: 'x' }))).authenticators, ['idp'], 'no client: only the user\'s')
})

t.test('a refused credential: its own challenge first, the route\'s other schemes after, and who refused it', async t => {
  const cause = new Error('root cause')
  const bad = stand('keys', 'client', 'ApiKey', 'x-api-key', () => new GatehouseError('invalid_credentials', 'unknown API key', {
    cause,
    headers: { 'retry-after': '1' },
    challenges: [{ scheme: 'ApiKey', params: { realm: 'gatehouse', error: 'invalid' } }]
  }))
  const err = await refusal(authenticate(route({ GET: 'client' }, [bad, certs]), 'GET', req({ 'x-api-key': 'k' })))
  t.equal(err.code, 'invalid_credentials')
  t.equal(err.detail, 'unknown API key')
  t.same(err.challenges, [
    { scheme: 'ApiKey', params: { realm: 'gatehouse', error: 'invalid' } },
    { scheme: 'ClientCertificate', params: { realm: 'gatehouse' } }
  ])
  t.equal(err.principal, 'client')
  t.equal(err.authenticator, 'keys')
  t.same(err.headers, { 'retry-after': '1' })
  t.equal(err.cause, cause, 'the original cause is kept')

  const plain = stand('idp', 'user', 'Bearer', 'authorization', () => new GatehouseError('invalid_token', 'bad signature'))
  const wrapped = await refusal(authenticate(route({ GET: 'user' }, [keys], [plain, drf]), 'GET', req({ authorization: 'x' })))
  t.same(
    wrapped.challenges,
    [{ scheme: 'Bearer', params: { realm: 'gatehouse' } }],
    "without its own challenges the authenticator's is used, and one Bearer only"
  )
  t.equal(wrapped.principal, 'user')
  t.equal(wrapped.authenticator, 'idp')
  t.ok(wrapped.cause instanceof GatehouseError, 'no cause: the refusal itself is the cause')

  const second = stand('certs', 'client', 'ClientCertificate', 'x-cert', () => new GatehouseError('invalid_credentials', 'not registered'))
  const late = await refusal(authenticate(route({ GET: 'client' }, [keys, second]), 'GET', req({ 'x-cert': 'c' })))
  t.same(schemes(late.challenges), ['ClientCertificate', 'ApiKey'], "the refusing authenticator's challenge comes first even when it is not the route's first")
  const twoOwn = stand('keys', 'client', 'ApiKey', 'x-api-key', () => new GatehouseError('invalid_credentials', 'no', {
    challenges: [{ scheme: 'ApiKey', params: {} }, { scheme: 'ClientCertificate', params: {} }]
  }))
  const both = await refusal(authenticate(route({ GET: 'client' }, [twoOwn, certs]), 'GET', req({ 'x-api-key': 'k' })))
  t.same(schemes(both.challenges), ['ApiKey', 'ClientCertificate'], 'a scheme among its own challenges is not offered twice')
})

t.test('a failure that is not a 401 (an origin down: 503) passes through as it was thrown', async t => {
  const down = new GatehouseError('auth_unavailable', 'introspection unavailable')
  const failing = stand('idp', 'user', 'Bearer', 'authorization', () => down)
  t.equal(await refusal(authenticate(route({ GET: 'user' }, [keys], [failing]), 'GET', req({ authorization: 'x' }))), down)
  const broken: Authenticator = { ...keys, authenticate () { throw new TypeError('bug') } }
  await t.rejects(authenticate(route({ GET: 'client' }, [broken]), 'GET', req({ 'x-api-key': 'k' })), TypeError)
})

t.test('a credential header no authenticator took is refused: invalid_token for Authorization, invalid_credentials otherwise', async t => {
  const blind = stand('blind', 'client', 'ApiKey', 'x-blind', () => undefined)
  const headerErr = await refusal(authenticate(route({ GET: 'public' }, [blind], [drf]), 'GET', req({ 'x-blind': 'k' })))
  t.equal(headerErr.code, 'invalid_credentials')
  t.equal(headerErr.detail, 'no authenticator of this route accepts the x-blind credential')
  t.equal(headerErr.principal, 'client')
  t.equal(headerErr.authenticator, 'blind')
  t.same(schemes(headerErr.challenges), ['ApiKey'])
  const bearerErr = await refusal(authenticate(route({ GET: 'public' }, [blind], [drf]), 'GET', req({ authorization: 'Bearer x' })))
  t.equal(bearerErr.code, 'invalid_token')
  t.equal(bearerErr.principal, 'user')
  t.same(schemes(bearerErr.challenges), ['Bearer'])
  t.same(await authenticate(route({ GET: 'public' }, [blind], [idp, drf]), 'GET', req({ authorization: 'x' })).then(i => i.authenticators), ['idp'],
    'a header one authenticator took is not unclaimed because another of the same list ignored it')
  t.same(
    await authenticate(
      route({ GET: 'public' }, [stand('k2', 'client', 'ApiKey', 'authorization', () => undefined)], [idp]),
      'GET',
      req({ authorization: 'x' })
    ).then(i => i.authenticators),
    ['idp'],
    'nor because an authenticator of the other list ignored it'
  )
  t.same(
    await authenticate(route({ GET: 'public' }, [keys], [stand('u2', 'user', 'Bearer', 'x-api-key', () => undefined)]), 'GET', req({ 'x-api-key': 'k' })).then(
      i => i.authenticators
    ),
    ['keys'],
    "the client's header is claimed for the user list too"
  )
})

t.test('challengesOf: one per scheme, in route order', async t => {
  t.same(challengesOf([keys, idp, drf, certs]).map(c => c.scheme), ['ApiKey', 'Bearer', 'ClientCertificate'])
  t.same(challengesOf([]), [])
})
