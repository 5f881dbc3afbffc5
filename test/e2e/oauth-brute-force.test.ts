import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { SECRETS, basic, jwksFile, postForm, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'
import { MAX_FAILED_ATTEMPTS, MAX_FAILED_ATTEMPTS_PER_ADDRESS } from '../../src/tokens/oauth-endpoints.js'

t.test('failed client authentications are limited per client id and address, and per address', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream, trustProxy: true }), { files: { 'keys.json': jwksFile(await signingKey()) } })
  const attempt = async (id: string, secret: string, ip: string): Promise<Awaited<ReturnType<typeof postForm>>> =>
    await postForm(`${gw.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(id, secret), 'x-forwarded-for': ip })

  for (let i = 1; i <= MAX_FAILED_ATTEMPTS; i++) {
    t.equal((await attempt('android', `guess-${i}`, `10.0.1.${i}`)).status, 401, `guess ${i} from its own IP: 401`)
  }
  t.equal((await attempt('android', SECRETS.android, '10.0.1.50')).status, 200, 'failures spread over other addresses do not lock the client out')

  for (let i = 1; i <= MAX_FAILED_ATTEMPTS; i++) {
    t.equal((await attempt('android', `again-${i}`, '10.0.3.1')).status, 401, `guess ${i} from 10.0.3.1: 401`)
  }
  const locked = await attempt('android', SECRETS.android, '10.0.3.1')
  t.equal(locked.status, 429, `after ${MAX_FAILED_ATTEMPTS} failures for the client id from one address, even the right secret is refused there`)
  t.equal(locked.json().error, 'rate_limited')
  t.equal(locked.json().access_token, undefined)
  const retryAfter = Number(locked.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After within the window (${retryAfter})`)
  t.equal((await attempt('ios', SECRETS.ios, '10.0.3.1')).status, 200, 'another client from that address is not affected')
  t.equal((await attempt('android', SECRETS.android, '10.0.3.2')).status, 200, 'nor the client from another address')

  for (let i = 1; i <= MAX_FAILED_ATTEMPTS_PER_ADDRESS; i++) {
    t.equal((await attempt(`nobody-${i}`, 'guess', '10.0.2.1')).status, 401, `unknown client ${i} from one IP: 401`)
  }
  const ipLocked = await attempt('ios', SECRETS.ios, '10.0.2.1')
  t.equal(ipLocked.status, 429, `after ${MAX_FAILED_ATTEMPTS_PER_ADDRESS} failures from an IP, that IP waits for clients that never succeeded from it`)
  t.ok(Number(ipLocked.headers['retry-after']) >= 1)
  t.equal((await attempt('ios', SECRETS.ios, '10.0.2.2')).status, 200, 'other IPs are not affected')
})
