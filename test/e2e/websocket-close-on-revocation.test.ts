import t, { type Test } from 'tap'
import { PassThrough, Readable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { sessionsRevoke } from '../../cli/sessions.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { startGatewayPair } from '../helpers/gateway-pair.js'
import { startTestGateway } from '../helpers/gateway.js'
import { startRedis } from '../helpers/redis.js'
import { freePort } from '../helpers/ports.js'
import { call } from '../helpers/http.js'
import { ADMIN_TOKEN, printedId, printedToken, runTokens } from '../helpers/api-tokens.js'
import { ISSUER, SECRETS, basic, fetchToken, jwksFile, postForm, signingKey } from '../helpers/tokens.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'
import { mustOpen, startWsUpstream } from '../helpers/websocket.js'
import { until } from '../helpers/until.js'

/** The close code a socket got, once it closed; undefined while it is open. */
function closeCode (ws: WebSocket): () => number | undefined {
  let code: number | undefined
  ws.once('close', c => { code = c })
  return () => code
}

async function closedWith1008 (t: Test, what: string, code: () => number | undefined): Promise<void> {
  await until(`${what} to close`, () => code() !== undefined)
  t.equal(code(), 1008, `${what} is closed with 1008`)
}

async function tokensYaml (upstream: string, redis: string): Promise<string> {
  return `server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  adminToken: ${ADMIN_TOKEN}
cache: { redis: "${redis}" }
tokens:
  issuer: ${ISSUER}
  signingKeys: keys.json
clients:
  - id: android
    secretHash: "${await hashSecret(SECRETS.android, { N: 1024, r: 8, p: 1 })}"
    scopes: [orders:read]
authenticators:
  appToken: { type: clientToken }
  personal: { type: userToken }
upstreams:
  live: { url: "${upstream}" }
routes:
  - { match: /user/*, upstream: live, policy: user, user: [personal], websocket: true }
  - { match: /client/*, upstream: live, policy: client, client: [appToken], websocket: true }
`
}

t.test('a user API token revoked with the CLI closes its WebSocket on every instance, and only its own', async t => {
  const upstream = await startWsUpstream(t)
  const { a } = await startGatewayPair(t, async redis => await tokensYaml(upstream.url, redis), { files: { 'keys.json': jwksFile(await signingKey()) } })
  const file = a.gateway.config.file
  const made = (await runTokens(['new', '-c', file, '--user', 'alice'])).out
  const other = printedToken((await runTokens(['new', '-c', file, '--user', 'alice'])).out)
  const socket = await mustOpen(`${a.url}/user/feed`, { headers: { authorization: `Token ${printedToken(made)}` } })
  const kept = await mustOpen(`${a.url}/user/feed`, { headers: { authorization: `Token ${other}` } })
  t.teardown(() => { socket.ws.terminate(); kept.ws.terminate() })
  const code = closeCode(socket.ws)
  const keptCode = closeCode(kept.ws)

  const revoked = await runTokens(['revoke', '-c', file, printedId(made)])
  t.equal(revoked.code, 0, revoked.err)
  await closedWith1008(t, 'the revoked token\'s socket', code)
  t.equal(keptCode(), undefined, 'another token of the same user keeps its socket')
  t.ok(upstream.closes.some(c => c.code === 1008), 'the upstream is told 1008 too')
})

t.test('a user API token revoked while the upstream is still answering the handshake: the socket closes as soon as it opens', async t => {
  // An upstream that holds each handshake until the test lets it through.
  const held: Array<(ok: boolean) => void> = []
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: (_info, cb) => { held.push(cb) } })
  await new Promise<void>(resolve => server.once('listening', () => resolve()))
  t.teardown(() => new Promise<void>(resolve => {
    for (const ws of server.clients) ws.terminate()
    server.close(() => resolve())
  }))
  const upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { a } = await startGatewayPair(t, async redis => await tokensYaml(upstream, redis), { files: { 'keys.json': jwksFile(await signingKey()) } })
  const file = a.gateway.config.file
  const made = (await runTokens(['new', '-c', file, '--user', 'alice'])).out
  const ws = new WebSocket(`${a.url.replace(/^http/, 'ws')}/user/feed`, { headers: { authorization: `Token ${printedToken(made)}` } })
  t.teardown(() => ws.terminate())
  const code = closeCode(ws)
  await until('the upstream to hold the handshake', () => held.length === 1)

  const heard = a.gateway.cache.counters.invalidations
  t.equal((await runTokens(['revoke', '-c', file, printedId(made)])).code, 0)
  await until('instance A to hear the revocation', () => a.gateway.cache.counters.invalidations > heard)
  held[0]?.(true)
  await closedWith1008(t, 'the socket revoked during its handshake', code)
})

t.test('a client token revoked at the other instance (POST /oauth/revoke) closes its WebSocket', async t => {
  const upstream = await startWsUpstream(t)
  const { a, b } = await startGatewayPair(t, async redis => await tokensYaml(upstream.url, redis), { files: { 'keys.json': jwksFile(await signingKey()) } })
  const token = await fetchToken(a.url, 'android', SECRETS.android)
  const other = await fetchToken(a.url, 'android', SECRETS.android)
  const socket = await mustOpen(`${a.url}/client/feed`, { headers: { 'x-client-token': token } })
  const kept = await mustOpen(`${a.url}/client/feed`, { headers: { 'x-client-token': other } })
  t.teardown(() => { socket.ws.terminate(); kept.ws.terminate() })
  const code = closeCode(socket.ws)
  const keptCode = closeCode(kept.ws)

  const res = await postForm(`${b.url}/oauth/revoke`, { token }, { authorization: basic('android', SECRETS.android) })
  t.equal(res.status, 200)
  await closedWith1008(t, 'the revoked token\'s socket on the other instance', code)
  t.equal(keptCode(), undefined, 'another token of the same client keeps its socket')
})

t.test('a browser session ended by logout at the other instance, or by `gatehouse sessions revoke`, closes its WebSocket', async t => {
  const [portA, portB] = [await freePort(), await freePort()]
  const [originA, originB] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`]
  const op = await startOidcProvider(t, { origins: [originA, originB] })
  const upstream = await startWsUpstream(t)
  const redis = await startRedis(t)
  const a = await startTestGateway(t, oidcGatewayYaml({ port: portA, provider: op, upstream: upstream.url, redis: redis.url, route: 'websocket: true' }))
  await startTestGateway(t, oidcGatewayYaml({ port: portB, provider: op, upstream: upstream.url, redis: redis.url, route: 'websocket: true' }))
  const browser = new ScriptedBrowser()
  const laptop = await logIn(browser, originA, '/app/', 'alice')
  const phone = await logIn(new ScriptedBrowser(), originA, '/app/', 'bob')
  const open = async (sid: string): Promise<() => number | undefined> => {
    const socket = await mustOpen(`${originA}/app/feed`, { headers: { cookie: `gatehouse-session=${sid}`, origin: originA } })
    t.teardown(() => socket.ws.terminate())
    return closeCode(socket.ws)
  }
  const laptopCode = await open(laptop.sid)
  const bobCode = await open(phone.sid)

  // The session's cookie, sent to the other instance's logout.
  const out = await call(`${originB}/oauth2/logout`, { method: 'POST', headers: { cookie: `gatehouse-session=${laptop.sid}`, origin: originB } })
  t.ok(out.status < 400, `logout answered ${out.status}`)
  await closedWith1008(t, 'the logged-out session\'s socket', laptopCode)
  t.equal(bobCode(), undefined, 'another user\'s session keeps its socket')

  const stdout = new PassThrough()
  const stderr = new PassThrough()
  t.equal(await sessionsRevoke(['-c', a.gateway.config.file, '--user', 'bob'], { stdin: Readable.from(['']), stdout, stderr, env: process.env }), 0)
  await closedWith1008(t, 'the socket of a session revoked with the CLI', bobCode)
})
