import t from 'tap'
import { planBody } from '../../src/proxy/body-plan.js'

t.test('no body: no length, or a length of 0', async t => {
  t.same(planBody({}, 1024), { kind: 'none' })
  t.same(planBody({ 'content-length': '0' }, 1024), { kind: 'none' })
})

t.test('a declared length up to the buffer limit is read whole; over it, it streams', async t => {
  t.same(planBody({ 'content-length': '1' }, 1024), { kind: 'whole', declared: 1 })
  t.same(planBody({ 'content-length': '1024' }, 1024), { kind: 'whole', declared: 1024 })
  t.same(planBody({ 'content-length': '1025' }, 1024), { kind: 'stream' })
})

t.test('a chunked body of unknown length is read whole (streaming once past the limit); with no buffer, it streams', async t => {
  t.same(planBody({ 'transfer-encoding': 'chunked' }, 1024), { kind: 'whole', declared: undefined })
  t.same(planBody({ 'transfer-encoding': 'chunked' }, 0), { kind: 'stream' })
  t.same(planBody({ 'content-length': '10' }, 0), { kind: 'stream' })
})
