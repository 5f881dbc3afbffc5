import t from 'tap'
import type { CorsConfig } from '../../src/config/types.js'
import { answerPreflight, compileCors, corsResponseHeaders, credentialedOrigin, isPreflight, originAllowed } from '../../src/policy/cors.js'
import { parseOrigin } from '../../src/config/cors-origin.js'

const config = (c: Partial<CorsConfig>): CorsConfig => ({
  origins: ['https://app.example'],
  methods: undefined,
  headers: undefined,
  exposeHeaders: [],
  credentials: false,
  maxAgeS: undefined,
  ...c
})
const pairs = (flat: string[]): Record<string, string> => {
  const out: Record<string, string> = {}
  for (let i = 0; i < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string
  return out
}

t.test('origins: exact entries compare as the browser serialises them; patterns stand for one host label or the port', async t => {
  const policy = compileCors(config({ origins: ['https://App.Example', 'https://*.example.com', 'http://localhost:*', 'https://api.example:8443'] }), ['GET'])
  t.ok(originAllowed(policy, 'https://app.example'), 'an exact origin, written with capitals')
  t.ok(originAllowed(policy, 'https://shop.example.com'), 'one label for *')
  t.notOk(originAllowed(policy, 'https://a.b.example.com'), '* is one label, not several')
  t.notOk(originAllowed(policy, 'https://example.com'), '* is not nothing')
  t.notOk(originAllowed(policy, 'https://evil.com/.example.com'), 'no path smuggled into the label')
  t.notOk(originAllowed(policy, 'https://shop.example.com.evil.com'), 'the pattern is anchored at the end')
  t.notOk(originAllowed(policy, 'http://shop.example.com'), 'the scheme is part of the origin')
  t.ok(originAllowed(policy, 'http://localhost:5173'), 'any port')
  t.ok(originAllowed(policy, 'http://localhost'), 'or none')
  t.notOk(originAllowed(policy, 'http://localhost.evil.com'), 'a port pattern is not a host pattern')
  t.ok(originAllowed(policy, 'https://api.example:8443'))
  t.notOk(originAllowed(policy, 'https://api.example'), 'the port is part of the origin')
  t.notOk(originAllowed(policy, 'null'), 'the opaque origin never')
  t.notOk(originAllowed(policy, undefined), 'no Origin: not a cross-origin read')
})

t.test('origins the config cannot take are named', async t => {
  t.match(parseOrigin('null'), /never allowed/)
  t.match(parseOrigin('https://app.example/'), { exact: 'https://app.example' }, 'a trailing slash is the same origin')
  t.match(parseOrigin('https://app.example/path'), /not an origin/)
  t.match(parseOrigin('https://app.example:443'), /default port/)
  t.match(parseOrigin('ftp://app.example'), /not an origin/)
  t.match(parseOrigin('app.example'), /not an origin/)
  t.match(parseOrigin('https://*'), /must name the site/)
  t.match(parseOrigin('https://example.*'), /must name the site/)
  t.match(parseOrigin('https://ex*ample.com'), /not an origin pattern/)
  t.match(parseOrigin('*'), /an entry of its own/)
})

t.test('an actual request: the origin echoed with Vary, credentials when allowed, nothing for another origin', async t => {
  const policy = compileCors(config({ credentials: true, exposeHeaders: ['X-Request-Id', 'WWW-Authenticate'] }), ['GET'])
  t.same(pairs(corsResponseHeaders(policy, { origin: 'https://app.example' })), {
    vary: 'Origin',
    'access-control-allow-origin': 'https://app.example',
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'X-Request-Id, WWW-Authenticate'
  })
  t.same(corsResponseHeaders(policy, { origin: 'https://evil.example' }), ['vary', 'Origin'], 'another origin: no CORS header, the answer still varies')
  t.same(corsResponseHeaders(policy, {}), ['vary', 'Origin'], 'no Origin: a cache must not give this answer to a cross-origin read')
  const any = compileCors(config({ origins: ['*'] }), ['GET'])
  t.same(corsResponseHeaders(any, { origin: 'https://whoever.example' }), ['access-control-allow-origin', '*'], 'any origin: a literal *, never varying')
  t.same(corsResponseHeaders(any, {}), [])
})

t.test('a preflight: answered for an allowed origin, method and headers; refused with no CORS header otherwise', async t => {
  t.ok(isPreflight('OPTIONS', { origin: 'https://app.example', 'access-control-request-method': 'GET' }))
  t.notOk(isPreflight('OPTIONS', { origin: 'https://app.example' }), 'OPTIONS without Access-Control-Request-Method is a plain OPTIONS')
  t.notOk(isPreflight('OPTIONS', { 'access-control-request-method': 'GET' }), 'nor without Origin')
  t.notOk(isPreflight('GET', { origin: 'https://app.example', 'access-control-request-method': 'GET' }))

  const policy = compileCors(config({ credentials: true, maxAgeS: 600 }), ['GET', 'POST'])
  const ok = answerPreflight(policy, {
    origin: 'https://app.example',
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type'
  })
  t.equal(ok.allowed, true)
  t.same(pairs(ok.headers), {
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    'access-control-allow-origin': 'https://app.example',
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'GET, POST',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '600'
  }, 'headers asked for are allowed when the config lists none')
  t.match(answerPreflight(policy, { origin: 'https://evil.example', 'access-control-request-method': 'GET' }), {
    allowed: false,
    reason: /origin https:\/\/evil.example/
  })
  t.match(
    answerPreflight(policy, { origin: 'https://app.example', 'access-control-request-method': 'DELETE' }),
    { allowed: false, reason: /method DELETE/ },
    "the route's methods by default"
  )
  for (const refused of [answerPreflight(policy, { origin: 'https://evil.example', 'access-control-request-method': 'GET' })]) {
    t.notOk(refused.headers.some(h => h.startsWith('access-control-')), 'a refusal carries no Access-Control-* header')
  }

  const listed = compileCors(config({ methods: ['GET', 'PUT'], headers: ['Authorization'] }), ['GET'])
  t.match(
    answerPreflight(listed, { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Authorization' }),
    {
      allowed: true,
      headers: [
        'vary',
        'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        'access-control-allow-origin',
        'https://app.example',
        'access-control-allow-methods',
        'GET, PUT',
        'access-control-allow-headers',
        'authorization'
      ]
    },
    'configured methods and headers are what is answered; no credentials header when not allowed'
  )
  t.match(
    answerPreflight(listed, {
      origin: 'https://app.example',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization, x-api-key'
    }),
    { allowed: false, reason: /header x-api-key/ }
  )
  t.match(
    answerPreflight(listed, { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'bad header\r\nx: y' }),
    { allowed: false },
    'a header name that is not a token is never echoed'
  )
})

t.test('only an origin allowed with credentials passes as the gateway\'s own for cookies', async t => {
  t.ok(credentialedOrigin(compileCors(config({ credentials: true }), ['GET']), 'https://app.example'))
  t.notOk(credentialedOrigin(compileCors(config({ credentials: true }), ['GET']), 'https://evil.example'))
  t.notOk(
    credentialedOrigin(compileCors(config({ credentials: false }), ['GET']), 'https://app.example'),
    'reading without cookies says nothing about acting with them'
  )
  t.notOk(credentialedOrigin(undefined, 'https://app.example'))
})
