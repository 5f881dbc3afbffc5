import t from 'tap'
import fc from 'fast-check'
import { overrideParamMatcher, withoutOverrideParams } from '../../src/identity/query-overrides.js'

const isOverride = overrideParamMatcher(['X-HTTP-Method-Override', '?_method'])
const piece = fc.stringMatching(/^[A-Za-z0-9%+=.~-]{0,10}$/).filter(p => !/^[_.+ ]?method/i.test(p) && !/^%5f/i.test(p))

t.test('a query without an override comes back byte for byte, whatever its separators', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.tuple(piece, fc.constantFrom('&', ';')), { maxLength: 6 }), parts => {
    const query = parts.map(([p, sep], i) => i === 0 ? p : sep + p).join('')
    if (withoutOverrideParams(query, isOverride) !== query) throw new Error(`changed: ${query}`)
  }), { numRuns: 2000 }))
})

t.test('overrides go wherever they are, with the separator before them', async t => {
  t.equal(withoutOverrideParams('_method=DELETE', isOverride), '')
  t.equal(withoutOverrideParams('a=1&_method=DELETE&b=2', isOverride), 'a=1&b=2')
  t.equal(withoutOverrideParams('_method=PUT;a=1&%5Fmethod&b', isOverride), 'a=1&b')
  t.equal(withoutOverrideParams('a&&_METHOD[]=x', isOverride), 'a&')
  t.notOk(isOverride('x-http-method-override'), 'a header entry names no query parameter')
  t.notOk(overrideParamMatcher([])('_method'), 'none configured: nothing is an override')
})
