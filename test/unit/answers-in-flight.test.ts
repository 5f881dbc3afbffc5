import t from 'tap'
import fc from 'fast-check'
import { ServerResponse, IncomingMessage } from 'node:http'
import { AnswersInFlight } from '../../runtime/answers-in-flight.js'

const response = (): ServerResponse => new ServerResponse(new IncomingMessage(null as never))

t.test('the list holds what was added and not yet deleted, each with its tag, whatever the order', async t => {
  const matches = fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(15)), { maxLength: 200 }), ops => {
    const pool = Array.from({ length: 16 }, response)
    const list = new AnswersInFlight<number>()
    const model = new Map<ServerResponse, number>()
    for (const [add, i] of ops) {
      const res = pool[i] as ServerResponse
      // A response is added once, when its request arrives; deleted when it closes (or never was added).
      if (add && !model.has(res)) {
        list.add(res, i)
        model.set(res, i)
      } else if (!add) {
        if (list.delete(res) !== model.get(res)) return false
        model.delete(res)
      }
    }
    const listed = list.list()
    return listed.length === model.size && listed.every(r => model.has(r))
  })
  t.doesNotThrow(() => { fc.assert(matches) }, 'list() and delete() match the model')
})

t.test('a deleted response keeps no link to the list', async t => {
  const list = new AnswersInFlight<string>()
  const [a, b, c] = [response(), response(), response()]
  list.add(a, 'a')
  list.add(b, 'b')
  list.add(c, 'c')
  t.equal(list.delete(b), 'b')
  // What the list keeps on a response is an entry linking it to its neighbours.
  const entries = Object.getOwnPropertySymbols(b).map(s => (b as unknown as Record<symbol, unknown>)[s])
    .filter(v => typeof v === 'object' && v !== null && 'prev' in v)
  t.same(entries, [], 'nothing of the list is left on b')
  t.same(list.list(), [c, a])
  t.equal(list.delete(b), undefined, 'deleting twice changes nothing')
  t.same(list.list(), [c, a])
})
