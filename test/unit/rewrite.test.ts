import t from 'tap'
import { compileRewrite, type Rewrite } from '../../src/routing/rewrite.js'
import { compileRoutePattern } from '../../src/routing/route-pattern.js'

const compiled = (match: string, rewrite: Parameters<typeof compileRewrite>[1]): Rewrite => {
  const r = compileRewrite(match, rewrite)
  if (typeof r === 'string') throw new Error(r)
  return r
}

t.test('stripPrefix removes the leading static segments, whatever their case as sent', async t => {
  const strip = compiled('/api/orders/*', { stripPrefix: '/api' })
  t.equal(strip('/api/orders/7'), '/orders/7')
  t.equal(strip('/API/Orders/7'), '/Orders/7', 'segments are counted, not compared: the route matched already')
  t.equal(strip('/api/orders'), '/orders')
  t.equal(strip('/api/orders/'), '/orders/', 'a trailing slash is kept')
  t.equal(strip('/api/orders/a%2Fb/c'), '/orders/a%2Fb/c', 'nothing is decoded')
  const whole = compiled('/api/orders/*', { stripPrefix: '/api/orders/' })
  t.equal(whole('/api/orders'), '/')
  t.equal(whole('/api/orders/'), '/')
  t.equal(whole('/api/orders/7/lines'), '/7/lines')
  t.equal(compiled('/health', { stripPrefix: '/health' })('/health'), '/')
})

t.test('to maps the match onto the upstream pattern, parameter by name', async t => {
  const users = compiled('/api/v1/users/:id', { to: '/users/:id' })
  t.equal(users('/api/v1/users/42'), '/users/42')
  t.equal(users('/api/v1/users/42/'), '/users/42/', 'the trailing slash the router ignored stays')
  const swap = compiled('/api/:org/repos/:repo/*', { to: '/repos/:repo/of/:org/*' })
  t.equal(swap('/api/acme/repos/gate/issues/3'), '/repos/gate/of/acme/issues/3')
  t.equal(swap('/api/acme/repos/gate'), '/repos/gate/of/acme')
  t.equal(compiled('/api/*', { to: '/*' })('/api/x/y'), '/x/y')
  t.equal(compiled('/api/*', { to: '/*' })('/api'), '/')
  t.equal(compiled('/api/*', { to: '/v2/*' })('/api'), '/v2')
  t.equal(compiled('/status', { to: '/' })('/status'), '/')
})

t.test('rewrites that cannot hold are named at load', async t => {
  t.equal(compileRewrite('/api/orders/*', { stripPrefix: '/orders' }), 'stripPrefix /orders is not a leading run of static segments of /api/orders/*')
  t.equal(compileRewrite('/api/:v/x', { stripPrefix: '/api/:v' }), 'stripPrefix /api/:v is not a leading run of static segments of /api/:v/x')
  t.equal(
    compileRewrite('/apix/*', { stripPrefix: '/api' }),
    'stripPrefix /api is not a leading run of static segments of /apix/*',
    'a prefix is whole segments'
  )
  t.equal(compileRewrite('/api/*', { stripPrefix: '/' }), 'stripPrefix / strips nothing')
  t.equal(compileRewrite('/users/:id', { to: '/u/:uid' }), ':uid is not a parameter of /users/:id')
  t.equal(compileRewrite('/users/:id', { to: '/u/*' }), '* needs a match ending in /* (/users/:id has none)')
  t.equal(compileRewrite('/users/*', { to: '/u' }), '/users/* ends in /*: the target must end in /* too, or the rest of the path would be lost')
  t.equal(compileRewrite('/users/*', { to: '/*/u' }), '* may only be the last segment')
  t.equal(compileRewrite('/users/:id', { to: '/a/../:id' }), 'bad segment ".."')
  t.equal(compileRewrite('/users/:id', { to: '/a//:id' }), 'bad segment ""')
})

/** A small deterministic generator: the same paths on every run, many more than by hand. */
function * paths (seed: number, count: number): Generator<string[]> {
  let s = seed
  const next = (n: number): number => { s = (s * 1103515245 + 12345) % 2147483648; return s % n }
  const alphabet = ['a', 'B', '7', '%2F', '%2e', '~', '-', ';x=1', '@', 'é'.normalize(), '%C3%A9']
  for (let i = 0; i < count; i++) {
    const segs: string[] = []
    const n = 1 + next(5)
    for (let j = 0; j < n; j++) segs.push(Array.from({ length: 1 + next(3) }, () => alphabet[next(alphabet.length)] as string).join(''))
    if (next(4) === 0) segs.push('')
    yield segs
  }
}

t.test('property: a rewrite keeps every segment past the prefix byte for byte, and never makes // or a dot segment', async t => {
  const strip = compiled('/api/v1/*', { stripPrefix: '/api' })
  const swap = compiled('/api/:a/:b/*', { to: '/x/:b/:a/*' })
  t.ok(typeof compileRoutePattern('/api/:a/:b/*') !== 'string')
  const wrong: string[] = []
  for (const segs of paths(7, 500)) {
    const path = `/api/v1/${segs.join('/')}`
    const [a, b, ...rest] = ['v1', ...segs]
    const expected = [`/v1/${segs.join('/')}`, `/x/${b as string}/${a as string}${rest.length === 0 ? '' : `/${rest.join('/')}`}`]
    const got = [strip(path), swap(path)]
    if (got[0] !== expected[0] || got[1] !== expected[1] || got.some(p => p.includes('//') || /\/\.\.?(\/|$)/.test(p))) {
      wrong.push(`${path} -> ${got.join(' ')}`)
    }
  }
  t.same(wrong, [], '500 generated paths')
})
