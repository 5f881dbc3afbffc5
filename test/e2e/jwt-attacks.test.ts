import t from 'tap'
import { createHmac } from 'node:crypto'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { b64u, jwtConfig, makeKey, sign, startJwksServer, type TestKey } from '../helpers/jwt.js'

const unsigned = (header: object, payload: object): string => `${b64u(header)}.${b64u(payload)}`

t.test('the attack corpus: every forged, tampered, stale or malformed token is a 401', async t => {
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const rsa = await makeKey('RS256', 'rsa-1')
  const ec = await makeKey('ES256', 'ec-1')
  const jwks = await startJwksServer(t, [rsa.jwk, ec.jwk])
  const attacker = await makeKey('RS256', 'rsa-1')
  const attackerHost = await startJwksServer(t, [{ ...attacker.jwk, kid: 'attacker' }])
  const spec = `jwksUri: "${jwks.url}", requiredClaims: { token_type: access }`
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, spec))
  const pemGw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, 'publicKey: rsa.pem'), { files: { 'rsa.pem': rsa.pem } })
  const now = Math.floor(Date.now() / 1000)
  const access = { token_type: 'access' }

  const good = await sign(rsa, access)
  const [h, p] = good.split('.')
  const hs256WithPublicKey = (key: TestKey): string => {
    const input = unsigned(
      { alg: 'HS256', kid: key.kid, typ: 'JWT' },
      { iss: 'https://idp.test/', aud: 'orders-api', sub: 'mallory', exp: now + 600, ...access }
    )
    return `${input}.${createHmac('sha256', key.pem).update(input).digest('base64url')}`
  }
  const ecHeader = b64u({ alg: 'ES256', kid: 'ec-1' })
  const ecPayload = b64u({ iss: 'https://idp.test/', aud: 'orders-api', sub: 'mallory', exp: now + 600, ...access })

  const corpus: Array<[name: string, token: string, detail: string]> = [
    [
      'alg: none',
      `${unsigned({ alg: 'none', kid: 'rsa-1' }, { iss: 'https://idp.test/', aud: 'orders-api', sub: 'mallory', exp: now + 600, ...access })}.`,
      'algorithm not allowed'
    ],
    ['alg switched to HS256 with the RSA public key as secret', hs256WithPublicKey(rsa), 'algorithm not allowed'],
    ['stripped signature', `${h}.${p}.`, 'bad signature'],
    ['signature of another key under the same kid', await sign(attacker, access), 'bad signature'],
    ['kid not in the set', await sign({ ...attacker, kid: 'unknown-kid' }, access), 'unknown signing key'],
    ['embedded jwk header', await sign(attacker, access, { kid: undefined, jwk: attacker.jwk }), 'bad signature'],
    ['jku header', await sign({ ...attacker, kid: 'attacker' }, access, { jku: attackerHost.url }), 'unknown signing key'],
    ['x5u header', await sign({ ...attacker, kid: 'attacker' }, access, { x5u: attackerHost.url }), 'unknown signing key'],
    ['expired', await sign(rsa, { ...access, iat: now - 1200, exp: now - 600 }), 'token expired'],
    ['nbf in the future', await sign(rsa, { ...access, nbf: now + 600 }), 'token not yet valid'],
    ['no exp', await sign(rsa, { ...access, exp: undefined }), 'token has no exp claim'],
    ['wrong aud', await sign(rsa, { ...access, aud: 'billing-api' }), 'wrong audience'],
    ['refresh token (token_type: refresh)', await sign(rsa, { token_type: 'refresh' }), 'refresh tokens are not accepted'],
    ['a token_type other than requiredClaims says', await sign(rsa, { token_type: 'id' }), 'token_type must be access'],
    ['no sub', await sign(rsa, { ...access, sub: undefined }), 'token has no sub claim'],
    ['malformed base64', `${h}.${p}!.c2ln`, 'malformed token'],
    ['malformed JSON payload', `${h}.${b64u('{"iss": "https://idp.test/",')}.c2ln`, 'malformed token'],
    ['malformed JSON header', `${b64u('{"alg":')}.${p}.c2ln`, 'malformed token'],
    ['token larger than maxTokenSize', `${h}.${b64u('x'.repeat(9000))}.c2ln`, 'token too large'],
    ['ECDSA signature with r = s = 0', `${ecHeader}.${ecPayload}.${Buffer.alloc(64).toString('base64url')}`, 'bad signature']
  ]

  for (const [name, token, detail] of corpus) {
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.status, 401, `${name}: 401`)
    t.equal(res.json().code, 'invalid_token', `${name}: invalid_token`)
    t.equal(res.json().detail, detail, `${name}: ${detail}`)
    t.equal(res.headers['www-authenticate'], `Bearer realm="gatehouse", error="invalid_token", error_description="${detail}"`, `${name}: RFC 6750 challenge`)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  }

  const wrongIss = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${await sign(rsa, { ...access, iss: 'https://evil.test/' })}` } })
  t.equal(wrongIss.status, 401, 'wrong iss: 401 (no authenticator owns that issuer)')
  t.equal(wrongIss.json().code, 'invalid_token', 'a token nobody owns is invalid, not absent')
  t.equal(wrongIss.headers['www-authenticate'], 'Bearer realm="gatehouse"')

  for (const token of [
    hs256WithPublicKey(rsa),
    `${unsigned({ alg: 'none' }, { iss: 'https://idp.test/', aud: 'orders-api', sub: 'mallory', exp: now + 600 })}.`
  ]) {
    const res = await call(`${pemGw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.status, 401, 'with a PEM public key too, HS256 and none are refused')
    t.equal(res.json().code, 'invalid_token')
    t.equal(res.json().detail, 'algorithm not allowed')
  }

  const huge = `${h}.${b64u('x'.repeat(100 * 1024))}.c2ln`
  const idp = gw.gateway.authenticators.get('idp')
  // authenticate may answer synchronously (a verified token, an oversized one): a throw counts as a refusal.
  await t.rejects(async () => await idp?.authenticate({ method: 'GET', headers: { authorization: `Bearer ${huge}` }, query: '', ip: '127.0.0.1' }),
    { code: 'invalid_token', status: 401, detail: 'token too large' }, '100 KB token: 401 before any parsing')
  const hugeRes = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${huge}` } })
  t.equal(hugeRes.status, 431, '100 KB token over HTTP: Node\'s header limit refuses it before the gateway sees it')

  t.equal(attackerHost.fetches, 0, 'jku/x5u URLs are never fetched')
  t.equal(jwks.fetches, 1, 'attacks cause no JWKS refetch within the cooldown')
  t.equal(echo.requests, 0, 'no refused token reached the upstream')
  t.equal((await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${good}` } })).status, 200, 'the genuine token still passes')
  t.equal(echo.requests, 1, 'the genuine one did')
})
