import t from 'tap'
import fc from 'fast-check'
import { deepStrictEqual } from 'node:assert/strict'
import { GatehouseError } from '../../src/errors.js'
import { judgeTarget } from '../../src/routing/request-path.js'
import { compileRoutePattern } from '../../src/routing/route-pattern.js'
import { buildRouteTable, judgeParams } from '../../src/routing/route-table.js'
import { PATTERNS, expectedRoute, pathFrom, type Expected } from '../helpers/route-paths.js'

const MAX = 12
const ROUTING = { caseSensitive: false, ignoreTrailingSlash: true, allowSemicolons: false, maxParamLength: MAX }
const routes = PATTERNS.map((match, index) => ({ index, urls: (compileRoutePattern(match) as { urls: string[] }).urls, methods: ['GET' as const] }))
const table = buildRouteTable(routes, ROUTING, false)

/** What the listener decides, in its order: the router, then the route's path guard and parameter limit. */
function decide (path: string): Expected {
  const hit = table.find('GET', path)
  try {
    judgeTarget(path, ROUTING)
    if (hit?.kind !== 'route') return { refused: 'not_found' }
    judgeParams(hit.params, ROUTING)
    return { route: hit.index, params: Object.fromEntries(Object.entries(hit.params).filter(([k]) => k !== '*')) as Record<string, string> }
  } catch (err) {
    if (err instanceof GatehouseError && (err.code === 'ambiguous_path' || err.code === 'uri_too_long')) return { refused: err.code }
    throw err
  }
}

t.test('every path is served by the route it structurally matches, or refused', async t => {
  // A mismatch throws, so fast-check shrinks it to the smallest path that shows it.
  t.doesNotThrow(() => fc.assert(fc.property(pathFrom(PATTERNS, MAX), path => {
    deepStrictEqual(decide(path), expectedRoute(PATTERNS, path, MAX), path)
  }), { numRuns: 3000 }))
})

t.test('a parameter one character over the limit is 414, never the sibling wildcard', async t => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.stringMatching(/^[a-z0-9]+$/), (limit, rest) => {
    const routing = { ...ROUTING, maxParamLength: limit }
    const hit = buildRouteTable(routes, routing, false).find('GET', `/v/${'a'.repeat(limit + 1)}/admin/${rest}`)
    t.has(hit, { kind: 'route', index: 1 }, 'the admin route')
    t.throws(() => judgeParams(hit?.kind === 'route' ? hit.params : {}, routing), { code: 'uri_too_long' })
    t.doesNotThrow(() => judgeParams({ version: 'a'.repeat(limit), '*': 'x'.repeat(limit * 2) }, routing), 'the limit itself, and a long wildcard rest, pass')
  }), { numRuns: 50 })
})
