import t from 'tap'
import { acceptTracestate, formatTraceparent, newSpanId, newTraceId, parseTraceparent, requestTrace } from '../../src/telemetry/trace-context.js'

const TRACE = '0af7651916cd43dd8448eb211c80319c'
const PARENT = 'b7ad6b7169203331'
const VALID = `00-${TRACE}-${PARENT}-01`

t.test('a valid traceparent is read field by field', async t => {
  t.same(parseTraceparent(VALID), { traceId: TRACE, parentId: PARENT, flags: '01' })
  t.same(parseTraceparent(`00-${TRACE}-${PARENT}-00`)?.flags, '00', 'not sampled')
})

t.test('a later version is read as version 00, extra fields ignored', async t => {
  t.same(parseTraceparent(`01-${TRACE}-${PARENT}-01`), { traceId: TRACE, parentId: PARENT, flags: '01' })
  t.same(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-the-future-holds`), { traceId: TRACE, parentId: PARENT, flags: '01' })
})

t.test('malformed traceparents are refused', async t => {
  for (const [what, value] of [
    ['absent', undefined],
    ['empty', ''],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['version 00 with an extra field', `${VALID}-00`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['not hex', `00-${TRACE.slice(0, 31)}g-${PARENT}-01`],
    ['two headers joined by Node', `${VALID}, ${VALID}`],
    ['an array', [VALID, VALID]],
    ['leading space', ` ${VALID}`]
  ] as const) {
    t.equal(parseTraceparent(value as string | string[] | undefined), undefined, what)
  }
})

t.test('traceparent is written as version 00', async t => {
  t.equal(formatTraceparent(TRACE, PARENT, '01'), VALID)
})

t.test('new ids are lowercase hex of the right length, never all zero, never repeated', async t => {
  const traces = new Set<string>()
  const bad: string[] = []
  for (let i = 0; i < 2000; i++) {
    const id = newTraceId()
    if (!/^[0-9a-f]{32}$/.test(id) || id === '0'.repeat(32)) bad.push(id)
    traces.add(id)
  }
  t.same(bad, [], 'every trace id is 32 lowercase hex digits, not all zero')
  t.equal(traces.size, 2000, 'no trace id repeats, across refills of the random pool')
  t.match(newSpanId(), /^[0-9a-f]{16}$/)
})

t.test('tracestate is kept whole or dropped', async t => {
  t.equal(acceptTracestate('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
  t.equal(acceptTracestate(['a=1', 'b=2']), 'a=1,b=2', 'repeated headers are one list')
  t.equal(acceptTracestate(undefined), undefined)
  t.equal(acceptTracestate(''), undefined)
  t.equal(acceptTracestate(`a=${'x'.repeat(600)}`), undefined, 'oversized: dropped, never cut mid-entry')
  t.equal(acceptTracestate('a=\u00e9'), undefined, 'not printable ASCII')
})

t.test('a request continues the caller\'s trace, or starts a new sampled one', async t => {
  const continued = requestTrace({ traceparent: VALID, tracestate: 'rojo=1' })
  t.same(continued, { traceId: TRACE, parent: { traceId: TRACE, parentId: PARENT, flags: '01' }, traceparent: VALID, tracestate: 'rojo=1' })

  const started = requestTrace({})
  t.equal(started.parent, undefined)
  t.match(started.traceparent, new RegExp(`^00-${started.traceId}-[0-9a-f]{16}-01$`), 'a new trace, sampled')

  const replaced = requestTrace({ traceparent: `00-${TRACE}-${PARENT}-0x`, tracestate: 'rojo=1' })
  t.not(replaced.traceId, TRACE, 'a malformed traceparent is replaced by a new trace')
  t.equal(replaced.tracestate, undefined, 'and its tracestate is dropped with it')
})
