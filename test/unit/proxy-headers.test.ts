import t from 'tap'
import { compileIdentityPlan } from '../../src/identity/headers.js'
import { clientResponseHeaders, ownCookieNames, setsOwnCookie, upstreamRequestHeaders } from '../../src/proxy/headers.js'

const plan = compileIdentityPlan({
  headers: { user: 'Remote-User', client: 'Remote-Client', scopes: 'Remote-Scopes', auth: 'Remote-Auth' },
  claims: [],
  strip: ['Remote-*'],
  stripOverrides: ['X-HTTP-Method-Override'],
  assertion: undefined
})
const forward = {
  upstreamHost: 'orders:8000',
  peerIp: '10.0.0.7',
  peerTrusted: false,
  proto: 'https',
  host: 'api.example',
  requestId: 'req-1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: undefined
}

function pairs (flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string])
  return out
}

t.test('request: hop-by-hop headers, those Connection lists, Expect and Host never reach the upstream', async t => {
  const out = pairs(upstreamRequestHeaders(plan, {
    host: 'api.example',
    connection: 'keep-alive, X-Secret',
    'keep-alive': 'timeout=5',
    'proxy-connection': 'keep-alive',
    te: 'trailers',
    trailer: 'x-checksum',
    'transfer-encoding': 'chunked',
    upgrade: 'h2c',
    expect: '100-continue',
    'proxy-authorization': 'Basic cHJveHk6cHc=',
    'x-secret': 'for the next hop only',
    accept: 'application/json',
    cookie: 'a=1; b=2'
  }, [], [], forward))
  t.same(out, [
    ['host', 'orders:8000'],
    ['accept', 'application/json'],
    ['cookie', 'a=1; b=2'],
    ['x-forwarded-for', '10.0.0.7'],
    ['x-forwarded-proto', 'https'],
    ['x-forwarded-host', 'api.example'],
    ['x-request-id', 'req-1'],
    ['traceparent', forward.traceparent]
  ])
})

t.test('request: client-sent identity, forwarding headers and consumed credentials are replaced', async t => {
  const out = pairs(upstreamRequestHeaders(plan, {
    'remote-user': 'admin',
    remote_user: 'admin',
    'x-api-key': 'k',
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'http',
    'x-request-id': 'spoofed',
    forwarded: 'for=6.6.6.6',
    traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
    tracestate: 'caller=1'
  }, [['remote-user', 'alice']], ['x-api-key'], { ...forward, tracestate: 'rojo=1' }))
  t.same(out, [
    ['host', 'orders:8000'],
    ['remote-user', 'alice'],
    ['x-forwarded-for', '10.0.0.7'],
    ['x-forwarded-proto', 'https'],
    ['x-forwarded-host', 'api.example'],
    ['x-request-id', 'req-1'],
    ['traceparent', forward.traceparent],
    ['tracestate', 'rojo=1']
  ], 'the trace context sent is the gateway\'s, never the raw incoming header')
  const trusted = pairs(upstreamRequestHeaders(plan, { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6' }, [], [], { ...forward, peerTrusted: true }))
  t.same(
    trusted.filter(([n]) => n === 'x-forwarded-for' || n === 'forwarded'),
    [
      ['forwarded', 'for=6.6.6.6'],
      ['x-forwarded-for', '6.6.6.6, 10.0.0.7']
    ],
    'behind a trusted proxy the chain is kept and appended to'
  )
})

t.test('response: hop-by-hop headers dropped, repeated Set-Cookie kept apart, the gateway\'s own appended', async t => {
  const out = pairs(clientResponseHeaders({
    'content-type': 'text/plain',
    connection: 'X-Internal',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    trailer: 'x-checksum',
    'proxy-authenticate': 'Basic',
    'x-internal': 'upstream only',
    'x-request-id': 'upstream-id',
    'set-cookie': ['a=1', 'b=2']
  }, ['x-request-id', 'req-1'], new Set()))
  t.same(out, [['content-type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-request-id', 'req-1']])
})

t.test('response: no Set-Cookie for the gateway\'s own cookies gets through, in any spelling a browser would take; others do', async t => {
  const names = ['gatehouse-session', '__Host-gatehouse-session', 'gatehouse-session-login', '__Host-gatehouse-session-login']
  const own = ownCookieNames(names)
  // A small seeded generator: the same cases on every run, many more than a hand-picked list.
  let seed = 42
  const next = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed }
  const recase = (n: string): string => [...n].map(c => next() % 2 === 0 ? c.toUpperCase() : c.toLowerCase()).join('')
  const space = (): string => [' ', '\t', ''][next() % 3] as string
  const attrs = (): string => ['', '; Path=/', '; Max-Age=0', '; Domain=example.com; Secure; HttpOnly', ';'][next() % 5] as string
  for (let i = 0; i < 400; i++) {
    const name = recase(names[next() % names.length] as string)
    const value = ['attacker-chosen', '', 'x=y'][next() % 3] as string
    const planted = next() % 4 === 0 ? `${space()}=${space()}${name}=${value}${attrs()}` : `${space()}${name}${space()}=${value}${attrs()}`
    const other = [`${name}x=1`, `x${name}=1`, `${name.slice(1)}=1`, `theme=${name}`, `a=1; Path=/${name}`][next() % 5] as string
    t.ok(setsOwnCookie(planted, own), `dropped: ${JSON.stringify(planted)}`)
    t.notOk(setsOwnCookie(other, own), `kept: ${JSON.stringify(other)}`)
    const out = pairs(clientResponseHeaders({ 'set-cookie': [other, planted, 'lang=en'] }, [], own))
    t.same(out, [['set-cookie', other], ['set-cookie', 'lang=en']])
  }
  t.same(pairs(clientResponseHeaders({ 'set-cookie': ['gatehouse-session=x'] }, [], own)), [], 'a single line too')
  t.same(
    pairs(clientResponseHeaders({ 'set-cookie': ['gatehouse-session=x'] }, [], new Set())),
    [['set-cookie', 'gatehouse-session=x']],
    'no browser login: nothing to drop'
  )
})

t.test('request: HTTP2-Settings is hop-by-hop too', async t => {
  const out = pairs(upstreamRequestHeaders(plan, { 'http2-settings': 'AAMAAABkAAQAAP__', accept: '*/*' }, [], [], forward))
  t.same(out.filter(([n]) => n === 'http2-settings' || n === 'accept'), [['accept', '*/*']])
})

t.test('request: the session cookie the gateway consumed is taken out of Cookie, the others kept as sent', async t => {
  const cookies = (cookie: string, dropCookies?: string[]): Array<[string, string]> =>
    pairs(upstreamRequestHeaders(plan, { cookie }, [], [], { ...forward, dropCookies })).filter(([n]) => n === 'cookie')
  t.same(cookies('a=1; gh_session=secret; flag; b=x=y', ['gh_session']), [['cookie', 'a=1; flag; b=x=y']])
  t.same(cookies('gh_session=secret', ['gh_session']), [], 'nothing left: no Cookie header at all')
  t.same(cookies(' gh_session =secret;a=1;;', ['gh_session']), [['cookie', 'a=1']], 'names are compared trimmed; empty parts dropped')
  t.same(cookies('a=1;gh_session=secret', []), [['cookie', 'a=1;gh_session=secret']], 'nothing consumed: the header as sent, not rewritten')
  const other = pairs(
    upstreamRequestHeaders(plan, { 'x-state': 'gh_session=1;a', cookie: 'gh_session=s' }, [], [], { ...forward, dropCookies: ['gh_session'] })
  )
  t.same(other.filter(([n]) => n === 'x-state' || n === 'cookie'), [['x-state', 'gh_session=1;a']], 'only Cookie is filtered, never another header')
  t.same(cookies('gh_session', ['gh_session']), [], 'a cookie without = is matched by its name')
})

t.test('request: a trusted proxy\'s empty X-Forwarded-For is not a hop', async t => {
  const out = pairs(upstreamRequestHeaders(plan, { 'x-forwarded-for': '' }, [], [], { ...forward, peerTrusted: true }))
  t.same(out.filter(([n]) => n === 'x-forwarded-for'), [['x-forwarded-for', '10.0.0.7']])
})
