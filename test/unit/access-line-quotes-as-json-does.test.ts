import t from 'tap'
import fc from 'fast-check'
import { jsonString } from '../../src/logger.js'

// The access line quotes its values without JSON.stringify where it can: the text must be the
// same for every string (quotes, backslashes, controls, non-ASCII, lone surrogates), or a
// path or id could break out of its field.
t.test('the access line quotes every string exactly as JSON.stringify does', async t => {
  const anyString = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u007f', '\u00e9', '\ud800', '\udc00', 'a', '/', ' ') }),
    fc.string()
  )
  t.doesNotThrow(() => fc.assert(fc.property(anyString, s => jsonString(s) === JSON.stringify(s)), { numRuns: 2000 }))
  t.equal(jsonString('/orders/7'), '"/orders/7"', 'a plain path as it is, quoted')
  t.equal(jsonString('a"b'), '"a\\"b"', 'a quote escaped')
})
