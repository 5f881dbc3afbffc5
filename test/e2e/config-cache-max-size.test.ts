import t from 'tap'
import { ConfigError, parseConfig } from '../../src/config/load.js'

const config = (cache: string): string => `${cache}
upstreams:
  orders: { url: "http://127.0.0.1:1" }
routes:
  - { match: /api/*, upstream: orders, policy: public }
`

t.test('cache.local.maxSize: a size, 16MiB by default, at least 64KiB, bad values positioned', async t => {
  t.same(parseConfig(config(''), 'g.yaml').cache, { redis: undefined, localMaxEntries: 100_000, localMaxSize: 16 * 1024 * 1024 })
  t.equal(parseConfig(config('cache: { local: { maxSize: 512KiB } }'), 'g.yaml').cache.localMaxSize, 512 * 1024)
  t.equal(parseConfig(config('cache: { local: { maxSize: 1GB, maxEntries: 10 } }'), 'g.yaml').cache.localMaxSize, 1e9)
  t.equal(parseConfig(config('cache: { local: { maxSize: 65536 } }'), 'g.yaml').cache.localMaxSize, 65536)
  for (const [value, message] of [
    ['1KiB', 'must be at least 64KiB'],
    ['1000', 'must be a size of at least 64KiB: bytes, or a number with B, KB, MB, GB, KiB, MiB or GiB'],
    ['lots', 'must be a size of at least 64KiB: bytes, or a number with B, KB, MB, GB, KiB, MiB or GiB']
  ]) {
    const err = t.throws(() => parseConfig(config(`cache: { local: { maxSize: ${value} } }`), 'g.yaml'), value) as ConfigError
    t.ok(err instanceof ConfigError)
    t.equal(err.message, `g.yaml:1:28 cache.local.maxSize: ${message}`, value)
  }
})
