import t from 'tap'
import { GrowingLRU } from '../../src/cache/growing-lru.js'

t.test('GrowingLRU: bounded by entries as lru-cache\'s max is, the least recently used going first', async t => {
  const evicted: string[] = []
  const lru = new GrowingLRU<string, number>(3, { dispose: (_v, k, reason) => { if (reason === 'evict') evicted.push(k) } })
  lru.set('a', 1).set('b', 2).set('c', 3)
  t.equal(lru.get('a'), 1, 'a is used again: b is now the least recent')
  lru.set('d', 4)
  t.equal(lru.size, 3)
  t.same(evicted, ['b'], 'the fourth entry pushed out the least recently used, told as an eviction')
  t.same([...lru.keys()].sort(), ['a', 'c', 'd'])
  lru.set('a', 10)
  t.equal(lru.size, 3, 'replacing an entry evicts nothing')
  t.same(evicted, ['b'])
})

t.test('GrowingLRU: a byte bound still holds beside the entry bound', async t => {
  const lru = new GrowingLRU<string, string>(100, { maxSize: 10, sizeCalculation: v => v.length })
  lru.set('a', '12345').set('b', '12345').set('c', '12345')
  t.equal(lru.size, 2, 'three five-byte values do not fit in ten bytes')
  t.equal(lru.has('a'), false)
  for (let i = 0; i < 200; i++) lru.set(`k${i}`, '1')
  t.equal(lru.size, 10, 'ten one-byte values: the byte bound is the tighter')
})

t.test('GrowingLRU: holds many entries up to its bound, then stays there', async t => {
  const lru = new GrowingLRU<number, number>(50_000, {})
  for (let i = 0; i < 60_000; i++) lru.set(i, i)
  t.equal(lru.size, 50_000)
  t.equal(lru.has(9_999), false, 'the first 10,000 went')
  t.equal(lru.get(10_000), 10_000, 'the next are kept')
})
