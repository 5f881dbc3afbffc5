import { deepStrictEqual } from 'node:assert'
import t from 'tap'
import fc from 'fast-check'
import { clientResponseRawHeaders } from '../../src/proxy/headers.js'

const HOP_BY_HOP = [
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings', 'proxy-authenticate', 'x-request-id'
]
const NAMES = ['content-type', 'x-secret', 'x-trace', 'cache-control', 'keep-alive', 'upgrade', 'set-cookie']

const randomCase = (s: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map(up => [...s].map((c, i) => up[i] === true ? c.toUpperCase() : c).join(''))
const ows = fc.constantFrom('', ' ', '\t', '  ')
const element = fc.oneof(
  fc.constantFrom('keep-alive', 'close', '').chain(randomCase),
  fc.constantFrom(...NAMES).chain(randomCase),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/)
)
const connection = fc.array(fc.tuple(ows, element, ows).map(([a, e, b]) => `${a}${e}${b}`), { minLength: 1, maxLength: 4 }).map(parts => parts.join(','))

// The answer's Connection header names headers of this hop only (RFC 9110 §7.6.1): whatever
// it says, in any case and spacing, the client gets none of them, and everything else.
t.test('the client gets every upstream header but the hop-by-hop ones and those Connection lists', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(
    connection,
    fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.stringMatching(/^[a-z0-9]{1,6}$/)), { maxLength: 6 }),
    (value, headers) => {
      const raw = [['Connection', value] as const, ...headers].flatMap(([n, v]) => [Buffer.from(n, 'latin1'), Buffer.from(v, 'latin1')])
      const listed = new Set(value.split(',').map(p => p.trim().toLowerCase()))
      const expected = headers.filter(([n]) => !HOP_BY_HOP.includes(n) && !listed.has(n)).flat()
      deepStrictEqual(clientResponseRawHeaders(raw, ['x-request-id', 'r1'], new Set()), [...expected, 'x-request-id', 'r1'])
    }
  ), { numRuns: 300 }))
})
