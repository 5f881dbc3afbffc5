import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

const refused = (detail: string): object => ({ status: 401, code: 'invalid_token', detail })

t.test('the user is the userClaim: a non-empty string or a number; anything else is refused', async t => {
  const u = await authUnit(jwtYaml())
  const idp = u.get('idp')
  const now = Math.floor(u.clock() / 1000)
  t.same(await authOutcome(idp, authRequest(bearer(await signAt(u.clock)))), {
    kind: 'user',
    id: 'alice',
    scopes: [],
    authenticator: 'idp',
    claims: {},
    tokenClientId: undefined,
    exp: now + 600
  })
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { sub: 42 as unknown as string })))), { id: '42' })
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { sub: 0 as unknown as string })))), { id: '0' })
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { sub: undefined })))), refused('token has no sub claim'))
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { sub: '' })))), refused('token has no sub claim'))
  t.match(await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { sub: true as unknown as string })))), refused('token has no sub claim'))
  const byEmail = await authUnit(jwtYaml({ userClaim: 'email' }))
  t.match(await authOutcome(byEmail.get('idp'), authRequest(bearer(await signAt(byEmail.clock, undefined, { email: 'alice@example.com' })))), {
    id: 'alice@example.com'
  })
  t.match(await authOutcome(byEmail.get('idp'), authRequest(bearer(await signAt(byEmail.clock)))), refused('token has no email claim'))
})

t.test('scopes: scope, else scp; a string split on spaces or a list of strings; anything else refused', async t => {
  const u = await authUnit(jwtYaml())
  const idp = u.get('idp')
  const scopes = async (claims: Record<string, unknown>): Promise<unknown> =>
    (await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, claims)))))?.scopes
  t.same(await scopes({ scope: ' orders:read  orders:write ' }), ['orders:read', 'orders:write'])
  t.same(await scopes({ scope: ['a', 'b c'] }), ['a', 'b c'])
  t.same(await scopes({ scp: 'x y' }), ['x', 'y'])
  t.same(await scopes({ scope: 'a', scp: 'x' }), ['a'], 'scope first')
  t.same(await scopes({ scope: '' }), [])
  t.same(await scopes({ scope: [] }), [])
  t.match(
    await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { scope: 5 })))),
    refused('scope claim must be a string or a list of strings')
  )
  t.match(
    await authOutcome(idp, authRequest(bearer(await signAt(u.clock, undefined, { scp: ['a', 1] })))),
    refused('scp claim must be a string or a list of strings')
  )
  const custom = await authUnit(jwtYaml({ scopeClaim: 'permissions' }))
  const read = async (claims: Record<string, unknown>): Promise<unknown> =>
    await authOutcome(custom.get('idp'), authRequest(bearer(await signAt(custom.clock, undefined, claims))))
  t.match(await read({ permissions: ['p1'], scope: 'a' }), { scopes: ['p1'] })
  t.match(await read({ scope: 'a', scp: 'b' }), { scopes: [] }, 'a configured scopeClaim is the only one read')
})

t.test("the token's OAuth client: azp, else client_id, strings only", async t => {
  const u = await authUnit(jwtYaml())
  const client = async (claims: Record<string, unknown>): Promise<unknown> =>
    (await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, claims)))))?.tokenClientId
  t.equal(await client({ azp: 'web' }), 'web')
  t.equal(await client({ client_id: 'cli' }), 'cli')
  t.equal(await client({ azp: 'web', client_id: 'cli' }), 'web')
  t.equal(await client({ azp: 7, client_id: 'cli' }), 'cli')
  t.equal(await client({ azp: 7, client_id: 8 }), undefined)
})

t.test('only the claims the config reads are kept on the principal', async t => {
  const top = 'identity:\n  claims: { email: Remote-Email, groups: Remote-Groups }\n'
  const u = await authUnit(jwtYaml({}, top))
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { email: 'a@x', groups: ['g'], secret: 's' })))), {
    claims: { email: 'a@x', groups: ['g'] }
  })
  const out = await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { email: 'b@x', secret: 's' }))))
  t.same(out?.claims, { email: 'b@x' })
  t.same((await authOutcome(u.get('idp'), authRequest(bearer(await signAt(u.clock, undefined, { other: 1 })))))?.claims, {}, 'none of them: no claims')
})
