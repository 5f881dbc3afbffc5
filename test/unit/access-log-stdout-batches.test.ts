import t from 'tap'
import { Writable } from 'node:stream'
import { StdoutBatches } from '../../src/logger.js'

/** A stdout whose writes finish only when the test says: what a pipe that has filled up does. */
function slowPipe (): { out: Writable, writes: string[], finishOne: () => void } {
  const writes: string[] = []
  const pending: Array<() => void> = []
  const out = new Writable({
    highWaterMark: 1 << 20,
    write (chunk: Buffer, _enc, cb) {
      writes.push(chunk.toString())
      pending.push(() => { cb() })
    },
    // A writev would put two batches in one write, past PIPE_BUF: it must never be needed.
    writev (chunks, cb) {
      writes.push(chunks.map(c => (c.chunk as Buffer).toString()).join(''))
      pending.push(() => { cb() })
    }
  })
  return { out, writes, finishOne: () => { pending.shift()?.() } }
}

t.test('a batch waits while the one before it is written: each batch is its own write, in order', async t => {
  const { out, writes, finishOne } = slowPipe()
  const batches = new StdoutBatches(out)
  batches.write('a\n')
  batches.write('b\n')
  batches.write('c\n')
  t.same(writes, ['a\n'], 'b and c wait for a')
  finishOne()
  await new Promise(resolve => setImmediate(resolve))
  t.same(writes, ['a\n', 'b\n'])
  finishOne()
  await new Promise(resolve => setImmediate(resolve))
  finishOne()
  await new Promise(resolve => setImmediate(resolve))
  t.same(writes, ['a\n', 'b\n', 'c\n'], 'never two batches in one write')
})

t.test('a reader gone away costs the log, not the process', async t => {
  const out = new Writable({
    write (_chunk, _enc, cb) { cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) }
  })
  const batches = new StdoutBatches(out)
  batches.write('a\n')
  await new Promise(resolve => setImmediate(resolve))
  t.doesNotThrow(() => { batches.write('b\n') }, 'later batches are dropped quietly')
  t.doesNotThrow(() => { batches.flushSync() })
})
