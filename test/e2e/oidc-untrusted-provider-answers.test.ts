import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { createLogger } from '../../src/logger.js'
import { GatehouseError } from '../../src/errors.js'
import { clientAuth } from '../../src/auth/oidc/client-auth.js'
import { providerClient, ProviderRefusal } from '../../src/auth/oidc/provider-client.js'
import { providerMetadata } from '../../src/auth/oidc/provider-metadata.js'
import { skewedClock } from '../helpers/clock.js'

// The provider's answers the browser login must not trust (forged, replayed, misdirected), each
// refused as a ProviderRefusal (a new login), and a provider in trouble refused as a 503.
const CLIENT_ID = 'gatehouse'
type Answer = (req: IncomingMessage, body: string, res: ServerResponse) => void

t.test('authorization responses and token answers the login refuses', async t => {
  const good = await generateKeyPair('ES256')
  const other = await generateKeyPair('ES256')
  const jwk = { ...await exportJWK(good.publicKey), kid: 'k1', alg: 'ES256', use: 'sig' }
  let tokenAnswer: Answer = (_req, _body, res) => { res.writeHead(500).end() }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      const json = (status: number, value: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value)) }
      if (req.url === '/.well-known/openid-configuration') {
        json(200, {
          issuer,
          authorization_endpoint: `${issuer}/auth`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          id_token_signing_alg_values_supported: ['ES256'],
          code_challenge_methods_supported: ['S256'],
          authorization_response_iss_parameter_supported: true
        })
      } else if (req.url === '/jwks') json(200, { keys: [jwk] })
      else if (req.url === '/token') tokenAnswer(req, body, res)
      else json(404, { error: 'not_found' })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const clock = skewedClock()
  const logger = createLogger('silent', [], new Writable({ write: (_c, _e, cb) => cb() }))
  const provider = providerClient({
    name: 'op',
    clientId: CLIENT_ID,
    auth: clientAuth({ clientSecret: 'a secret: with (odd) characters!' }),
    metadata: providerMetadata({ issuer, refreshMs: 3_600_000, timeoutMs: 5000, authenticator: 'op', logger, clock }),
    clockToleranceS: 30,
    clock,
    timeoutMs: 5000,
    logger
  })
  t.teardown(() => { provider.close() })
  const meta = await provider.meta()

  const idToken = async (claims: JWTPayload = {}, key = good.privateKey): Promise<string> => {
    const now = Math.floor(clock() / 1000)
    return await new SignJWT({ sub: 'alice', nonce: 'n-1', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
      .setAudience(claims.aud ?? CLIENT_ID)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key)
  }
  const answerTokens = (id: string): Answer => (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: id }))
  }
  const callback = (): URLSearchParams => provider.callback(meta, new URLSearchParams({ code: 'c', state: 's', iss: issuer }), 's')
  const caught = async (p: Promise<unknown>): Promise<unknown> => await p.then(() => undefined, (err: unknown) => err)
  const refusal = async (what: string, pattern: RegExp): Promise<void> => {
    const err = await caught(provider.exchange(callback(), 'http://gw/cb', 'v'.repeat(43), 'n-1'))
    t.ok(err instanceof ProviderRefusal, what)
    t.match((err as Error).message, pattern, what)
  }
  const unavailable = async (what: string): Promise<void> => {
    const err = await caught(provider.refresh('rt'))
    t.ok(err instanceof GatehouseError && err.code === 'auth_unavailable', what)
  }

  t.throws(
    () => provider.callback(meta, new URLSearchParams({ code: 'c', state: 's', iss: 'https://evil.example' }), 's'),
    /another issuer/,
    'a response naming another issuer (mix-up)'
  )
  t.throws(() => provider.callback(meta, new URLSearchParams({ code: 'c', state: 's' }), 's'), /another issuer/, 'no iss from a provider that always sends it')
  t.throws(() => provider.callback(meta, new URLSearchParams({ error: 'access_denied', state: 's', iss: issuer }), 's'), /refused the login: access_denied/)

  let sent = ''
  tokenAnswer = async (req, body, res) => {
    sent = `${req.headers.authorization ?? ''} ${body}`
    answerTokens(await idToken())(req, body, res)
  }
  const tokens = await provider.exchange(callback(), 'http://gw/cb', 'v'.repeat(43), 'n-1')
  t.equal(tokens.claims?.sub, 'alice', 'a good ID token is taken')
  t.equal(tokens.claims?.nonce, undefined, 'claims about the token itself are not kept')
  t.match(sent, /code_verifier=v{43}/, 'the PKCE verifier is sent')
  const basic = Buffer.from(sent.split(' ')[1] ?? '', 'base64').toString()
  t.equal(basic, 'gatehouse:a+secret%3A+with+%28odd%29+characters%21', 'client_secret_basic form-encodes the id and secret (RFC 6749 §2.3.1)')

  const forged = await idToken({}, other.privateKey)
  tokenAnswer = answerTokens(forged)
  await refusal('an ID token signed by a key the provider does not publish', /failed verification/)
  tokenAnswer = answerTokens(await idToken({ nonce: 'n-other' }))
  await refusal('an ID token of another login (nonce)', /nonce/)
  tokenAnswer = answerTokens(await idToken({ aud: 'another-client' }))
  await refusal('an ID token issued to another client', /aud/)
  tokenAnswer = answerTokens(await idToken({ aud: [CLIENT_ID, 'another-client'], azp: 'another-client' }))
  await refusal('several audiences, and azp names another client', /azp/)
  tokenAnswer = answerTokens(await idToken({ iss: 'https://evil.example' }))
  await refusal('an ID token from another issuer', /iss/)

  const id = await idToken()
  tokenAnswer = answerTokens(id)
  clock.advance(3_600_000)
  await refusal('an ID token expired on the gateway\'s clock', /exp/)
  clock.advance(-3_600_000)

  tokenAnswer = (_req, _body, res) => { res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}') }
  const refused = await caught(provider.refresh('rt'))
  t.ok(refused instanceof ProviderRefusal && refused.message === 'invalid_grant', 'a refused grant')
  tokenAnswer = (_req, _body, res) => { res.writeHead(502).end() }
  await unavailable('a provider in trouble: 503')
  tokenAnswer = (_req, _body, res) => { res.writeHead(302, { location: `${issuer}/token` }).end() }
  await unavailable('a redirect is not followed: 503')
})
