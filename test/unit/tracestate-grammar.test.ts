import t from 'tap'
import fc from 'fast-check'
import { acceptTracestate } from '../../src/telemetry/trace-context.js'

// The W3C Trace Context grammar (https://www.w3.org/TR/trace-context/#tracestate-header), as generators.
const LCALPHA = 'abcdefghijklmnopqrstuvwxyz'
const KEY_CHAR = `${LCALPHA}0123456789_-*/`
const chars = (set: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...set), { minLength: min, maxLength: max }).map(cs => cs.join(''))
const NBLK = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter(c => c !== ',' && c !== '=').join('')

const simpleKey = fc.tuple(chars(LCALPHA, 1, 1), chars(KEY_CHAR, 0, 20)).map(([a, b]) => a + b)
const tenantKey = fc.tuple(chars(LCALPHA + '0123456789', 1, 1), chars(KEY_CHAR, 0, 12), chars(LCALPHA, 1, 1), chars(KEY_CHAR, 0, 13))
  .map(([a, b, c, d]) => `${a}${b}@${c}${d}`)
const key = fc.oneof(simpleKey, tenantKey)
const value = fc.tuple(chars(NBLK + ' ', 0, 20), chars(NBLK, 1, 1)).map(([a, b]) => a + b)
const ows = chars(' \t', 0, 2)

/** A valid list: up to 32 members with distinct keys, optional whitespace and empty members between them. */
const validList = fc.uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: 32, selector: ([k]) => k })
  .chain(members => fc.tuple(fc.constant(members), fc.array(fc.tuple(ows, ows, fc.boolean()), { minLength: members.length, maxLength: members.length })))
  .map(([members, pads]) => members.map(([k, v], i) => {
    const [before, after, empty] = pads[i] as [string, string, boolean]
    return `${before}${k}=${v}${after}${empty ? ',' : ''}`
  }).join(','))
  .filter(list => list.length <= 512)

t.test('a tracestate the grammar allows is passed on whole', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(validList, list => {
    if (acceptTracestate(list) !== list) throw new Error(`dropped: ${JSON.stringify(list)}`)
  }), { numRuns: 3000 }))
})

/** One way to break a valid list, each a rule of the spec. */
const broken = fc.oneof(
  fc.tuple(validList, key, value, fc.constantFrom('A', 'é', '\u0000', '\t', ' ', '=', '.', ':')).map(([list, k, v, c]) =>
    ({ why: `a key with ${JSON.stringify(c)} in it`, list: `${k.slice(0, 1)}${c}${k.slice(1)}=${v},${list}` })),
  fc.tuple(validList, key, value).map(([list, k, v]) => ({ why: 'a duplicate key', list: `${k}=${v},${list},${k}=${v}` })),
  fc.uniqueArray(simpleKey, { minLength: 33, maxLength: 40 }).map(keys => ({ why: 'more than 32 members', list: keys.map(k => `${k}=1`).join(',') }))
    .filter(({ list }) => list.length <= 512),
  validList.map(list => ({ why: 'over 512 characters', list: `${list},${'z'.repeat(Math.max(1, 512 - list.length))}=1` })),
  fc.tuple(validList, fc.constantFrom('novalue', '=v', 'k=', 'k=v ,x', 'k=a,b=', 'k=\u00e9', 'k=v\u007f', 'K=v', '1k=v', 'k@=v', '@s=v', 'k@S=v',
    't@sys678901234567=v'))
    .map(([list, bad]) => ({ why: `a bad member ${JSON.stringify(bad)}`, list: `${list},${bad}` }))
)

t.test('a tracestate that breaks any rule is dropped whole', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(broken, ({ why, list }) => {
    if (acceptTracestate(list) !== undefined) throw new Error(`${why}: kept ${JSON.stringify(list)}`)
  }), { numRuns: 3000 }))
})

t.test('a key and a value at their longest are kept; one character more is dropped', async t => {
  const simple = `a${'b'.repeat(255)}`
  t.equal(acceptTracestate(`${simple}=v`), `${simple}=v`, '256-character simple key')
  t.equal(acceptTracestate(`${simple}b=v`), undefined, '257-character simple key')
  t.equal(acceptTracestate(`k=${'v'.repeat(256)}`), `k=${'v'.repeat(256)}`, '256-character value')
  t.equal(acceptTracestate(`k=${'v'.repeat(257)}`), undefined, '257-character value')
  t.equal(acceptTracestate(`t${'0'.repeat(240)}@s${'y'.repeat(13)}=v`), `t${'0'.repeat(240)}@s${'y'.repeat(13)}=v`, 'longest tenant and system ids')
  t.equal(acceptTracestate('a=1,,b=2, ,c=3'), 'a=1,,b=2, ,c=3', 'empty members are allowed')
})
