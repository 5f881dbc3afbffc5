import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { fromAddress, postFormWith } from '../helpers/from-address.js'
import { SECRETS, basic, jwksFile, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'
import { MAX_FAILED_ATTEMPTS_PER_ADDRESS } from '../../src/tokens/oauth-endpoints.js'

t.test('wrong secrets from one address do not lock the client out elsewhere, nor out of revoking', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream }), { files: { 'keys.json': jwksFile(await signingKey()) } })
  const attacker = fromAddress(t, '127.0.0.1')
  const client = fromAddress(t, '127.0.0.2')
  const tokenFrom = async (send: ReturnType<typeof fromAddress>, id: string, secret: string): Promise<ReturnType<typeof postFormWith>> =>
    await postFormWith(send, `${gw.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(id, secret) })

  const issued = await tokenFrom(attacker, 'android', SECRETS.android)
  t.equal(issued.status, 200, 'a token issued to 127.0.0.1 before the attack')
  const token = issued.json<{ access_token: string }>().access_token

  for (let i = 1; i <= 10; i++) t.equal((await tokenFrom(attacker, 'android', `guess-${i}`)).status, 401, `wrong secret ${i} from 127.0.0.1`)
  const locked = await tokenFrom(attacker, 'android', 'guess-11')
  t.equal(locked.status, 429, 'the 11th guess from that address is refused before hashing')
  t.equal(locked.json().error, 'rate_limited')
  t.ok(Number(locked.headers['retry-after']) >= 1)
  t.equal((await tokenFrom(attacker, 'android', SECRETS.android)).status, 429, 'that address is locked for that client, right secret or not')

  const real = await tokenFrom(client, 'android', SECRETS.android)
  t.equal(real.status, 200, 'the real client from 127.0.0.2 still gets a token')
  t.type(real.json().access_token, 'string')
  t.equal((await tokenFrom(attacker, 'ios', SECRETS.ios)).status, 200, 'another client from the attacking address is not locked out')

  const revoked = await postFormWith(attacker, `${gw.url}/oauth/revoke`, { token }, { authorization: basic('android', SECRETS.android) })
  t.equal(revoked.status, 200, 'the client can still revoke from the locked address with valid credentials')
  const use = await client(`${gw.url}/api/orders/1`, { headers: { 'x-client-token': token } })
  t.equal(use.status, 401, 'the token is revoked')
  t.equal(use.json().detail, 'token has been revoked')
  const junk = await postFormWith(attacker, `${gw.url}/oauth/revoke`, { token: 'not-a-token' }, { authorization: basic('android', 'guess-12') })
  t.equal(junk.status, 429, 'without a valid token of the client, a locked revoke is still refused')
})

t.test('guesses across many client ids lock that address only for ids that never succeeded there', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream }), { files: { 'keys.json': jwksFile(await signingKey()) } })
  const nat = fromAddress(t, '127.0.0.3')
  const elsewhere = fromAddress(t, '127.0.0.4')
  const tokenFrom = async (send: ReturnType<typeof fromAddress>, id: string, secret: string): Promise<ReturnType<typeof postFormWith>> =>
    await postFormWith(send, `${gw.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(id, secret) })

  t.equal((await tokenFrom(nat, 'android', SECRETS.android)).status, 200, 'android works from the shared address before the spray')
  let refusedAt: number | undefined
  for (let i = 1; i <= 30 && refusedAt === undefined; i++) {
    const res = await tokenFrom(nat, `nobody-${i}`, 'guess')
    if (res.status === 429) refusedAt = i
    else t.equal(res.status, 401)
  }
  t.equal(refusedAt, MAX_FAILED_ATTEMPTS_PER_ADDRESS + 1, `the address is limited across ids after ${MAX_FAILED_ATTEMPTS_PER_ADDRESS} failures`)
  t.equal((await tokenFrom(nat, 'ios', SECRETS.ios)).status, 429, 'a client that never succeeded from that address waits')
  t.equal((await tokenFrom(nat, 'android', SECRETS.android)).status, 200, 'a client that succeeded from that address before is not locked out')
  t.equal((await tokenFrom(elsewhere, 'ios', SECRETS.ios)).status, 200, 'other addresses are not affected')
})
