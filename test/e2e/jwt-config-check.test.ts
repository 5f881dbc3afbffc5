import t from 'tap'
import { exportPKCS8 } from 'jose'
import { ConfigError, parseConfig } from '../../src/config/load.js'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { makeKey } from '../helpers/jwt.js'

const config = (idp: string): string => `authenticators:
  idp: { type: jwt, issuer: "https://idp.test/", audience: orders-api, ${idp} }
upstreams:
  orders: { url: "http://127.0.0.1:9" }
routes:
  - match: /api/*
    upstream: orders
    policy: user
    user: [idp]
`

function issuesOf (idp: string): string[] {
  try {
    parseConfig(config(idp), '/etc/gatehouse/gateway.config.yaml', {})
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n')
    throw err
  }
  return []
}

t.test('the loader refuses jwt settings that would weaken verification, with file:line:col', async t => {
  t.same(issuesOf('jwksUri: "https://idp.test/jwks.json"'), [], 'a JWKS with the default algorithms is fine')
  t.same(issuesOf('secret: "0123456789abcdef0123456789abcdef", algorithms: [HS256]'), [], 'HS256 with a 32-byte secret is fine')

  t.match(issuesOf('publicKey: key.pem, algorithms: [RS256, HS256]'), [
    /^\/etc\/gatehouse\/gateway\.config\.yaml:2:\d+ authenticators\.idp\.algorithms\[1\]: HS256 needs a shared secret/
  ], 'HS256 with a public key (alg confusion) is refused')
  t.match(issuesOf('jwksUri: "https://idp.test/jwks.json", algorithms: [none]'), [/algorithms\[0\]: unsupported algorithm "none"/], 'alg none is refused')
  t.match(issuesOf('secret: "0123456789abcdef0123456789abcdef", algorithms: [RS256]'), [/algorithms\[0\]: RS256 needs jwksUri or publicKey/])
  t.match(issuesOf('secret: "short"'), [/authenticators\.idp\.secret: must be at least 32 bytes/], 'a short HMAC secret is refused')
  t.match(issuesOf('jwksUri: "file:///etc/passwd"'), [/jwksUri: must be an http:\/\/ or https:\/\/ URL/])
  t.match(issuesOf('jwksUri: "https://idp.test/jwks.json", secret: "0123456789abcdef0123456789abcdef"'), [
    /takes one of jwksUri, publicKey or secret, or none to find the JWKS from its issuer \(has jwksUri, secret\)/
  ])
})

t.test('a private key given as publicKey stops the gateway from starting, at file:line:col', async t => {
  const key = await makeKey('ES256', 'k1')
  const yaml = `${TEST_SERVER}${config('publicKey: key.pem')}`
  await t.rejects(startTestGateway(t, yaml, { files: { 'key.pem': await exportPKCS8(key.privateKey) } }), {
    message: /gateway\.config\.yaml:\d+:\d+ authenticators\.idp\.publicKey: \S+key\.pem: this is a private key/
  })
  await t.rejects(startTestGateway(t, yaml, { files: { 'key.pem': JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }) } }), {
    message: /private or symmetric key/
  })
})
