import t from 'tap'
import { GatehouseError } from '../../src/errors.js'
import { judgeTarget, routerUrl } from '../../src/routing/request-path.js'

const STRICT = { caseSensitive: false, ignoreTrailingSlash: true, allowSemicolons: false, maxParamLength: 1000 }
const SEMICOLONS = { ...STRICT, allowSemicolons: true }

function codeOf (fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    return err instanceof GatehouseError ? err.code : 'not a GatehouseError'
  }
}

t.test('a target is split once into the path as sent and the query', async t => {
  t.same(judgeTarget('/api/Items/5/?a=1&b', STRICT), { path: '/api/Items/5/', query: 'a=1&b' })
  t.same(judgeTarget('/', STRICT), { path: '/', query: '' })
  t.same(judgeTarget('/a?', STRICT), { path: '/a', query: '' })
  t.same(judgeTarget('/a?x=/../y', STRICT), { path: '/a', query: 'x=/../y' }, 'the query is not a path')
})

t.test('paths a server could read as another are ambiguous_path', async t => {
  for (const path of ['/api//admin', '//api', '/api/admin;x/y', '/api/admin;', '/a/../b', '/a/./b', '/a/..', '/a/%2e%2e/b', '/a/%2F', '/a/%5c', '/a\\b']) {
    t.equal(codeOf(() => judgeTarget(path, STRICT)), 'ambiguous_path', path)
  }
})

t.test('only the origin form is routed: absolute-form and * targets are bad_request', async t => {
  for (const target of ['http://other.example/x', 'http://admin:secret@host/x', '*', 'host:443']) {
    t.equal(codeOf(() => judgeTarget(target, STRICT)), 'bad_request', target)
  }
})

t.test('matched case-insensitively, a character whose lower case has another length is ambiguous_path', async t => {
  for (const path of ['/v/%C4%B0/admin', '/v/\u0130/admin', '/a/%c4%b0']) t.equal(codeOf(() => judgeTarget(path, STRICT)), 'ambiguous_path', path)
  t.same(judgeTarget('/v/%C4%B0/admin', { ...STRICT, caseSensitive: true }), { path: '/v/%C4%B0/admin', query: '' }, 'case-sensitive: nothing is folded')
  t.same(judgeTarget('/caf%C3%A9/%E2%84%AA', STRICT), { path: '/caf%C3%A9/%E2%84%AA', query: '' }, 'é and the Kelvin sign fold to one character')
})

t.test('a target with a fragment is bad_request, wherever the # is', async t => {
  for (const target of ['/a#', '/a#b', '/a?q=1#b', '/#', '/a#?q', '/a/b/#/../c']) {
    t.equal(codeOf(() => judgeTarget(target, STRICT)), 'bad_request', target)
  }
})

t.test('allowSemicolons: each segment is judged without its ; parameter, the path kept as sent', async t => {
  t.same(judgeTarget('/api/admin;jsessionid=1/x?q', SEMICOLONS), { path: '/api/admin;jsessionid=1/x', query: 'q' })
  t.equal(routerUrl('/api/admin;jsessionid=1/x;v=2?a=;b'), '/api/admin/x?a=;b', 'the router matches the segments without parameters; the query is untouched')
  t.equal(codeOf(() => judgeTarget('/api/..;/admin', SEMICOLONS)), 'ambiguous_path', 'a dot segment behind a parameter (Tomcat reads /api/../admin)')
  t.equal(codeOf(() => judgeTarget('/api/;x/admin', SEMICOLONS)), 'ambiguous_path', 'a segment that is only a parameter leaves an empty segment')
})

t.test('routerUrl: a parameter is dropped up to the next segment, with or without a query, and the query is never touched', async t => {
  t.equal(routerUrl('/api/admin;jsessionid=1'), '/api/admin', 'a parameter ending the path, no query')
  t.equal(routerUrl('/api/a;x/b?q=;y/z'), '/api/a/b?q=;y/z', 'a query with ; and / is kept as sent')
  t.equal(routerUrl('/api/a/b'), '/api/a/b')
})

t.test('each refusal names the rule that fired, for the operator reading the problem', async t => {
  const detail = (target: string, routing = STRICT): string | undefined => {
    try {
      judgeTarget(target, routing)
      return undefined
    } catch (err) {
      return (err as GatehouseError).detail
    }
  }
  t.equal(detail('http://other.example/x'), 'the request target must be a path (origin-form), not an absolute URL or *')
  t.equal(detail('/a\\b'), 'backslash in path')
  t.equal(detail('/a/%2e%2e/b'), 'encoded dot, slash or backslash in path')
  t.equal(detail('/a;x'), 'a ; path parameter in the path (server.routing.allowSemicolons is off)')
  t.equal(detail('/a//b'), 'empty path segment (//)')
  t.equal(detail('/a/../b'), 'dot segment in path')
})
