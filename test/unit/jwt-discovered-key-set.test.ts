import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { makeKey, sign } from '../helpers/jwt.js'
import { bearer, jwtYaml } from '../helpers/jwt-unit.js'

t.test('no jwksUri, publicKey or secret (or each empty): the key set is the one the issuer\'s metadata names (jwks_uri)', async t => {
  const key = await makeKey('RS256', 'k1')
  const paths: string[] = []
  const server = createServer((req, res) => {
    paths.push(req.url ?? '')
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }))
    } else if (req.url === '/keys') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.jwk] }))
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // Empty values are what `${VAR}` leaves for an unset variable: no key source either.
  for (const spec of [{ secret: undefined }, { jwksUri: '', publicKey: '', secret: '' }]) {
    paths.length = 0
    const u = await authUnit(jwtYaml({ issuer, ...spec }))
    const now = Math.floor(u.clock() / 1000)
    const token = await sign(key, { iss: issuer, iat: now, exp: now + 600 })
    t.match(await authOutcome(u.get('idp'), authRequest(bearer(token))), { kind: 'user', id: 'alice' }, JSON.stringify(spec))
    t.ok(paths.includes('/keys'), 'the keys came from jwks_uri')
  }
})
