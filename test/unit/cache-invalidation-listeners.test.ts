import t from 'tap'
import { Writable } from 'node:stream'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import { cacheKey } from '../../src/cache/cache.js'
import { createLogger } from '../../src/logger.js'
import { manualClock } from '../helpers/clock.js'

const quiet = createLogger('info', [], new Writable({ write (_c, _e, cb) { cb() } }))

t.test('without Redis, a delete tells this instance\'s listeners its key (a revocation closes local WebSockets)', async t => {
  const cache = new TwoTierCache({ maxEntries: 100, maxSize: 1024 * 1024 }, quiet, undefined, undefined, undefined, undefined, manualClock())
  t.teardown(async () => await cache.close())
  const heard: string[] = []
  const stop = cache.onInvalidate(key => heard.push(key))
  await cache.delete('client-token', 'jti-1')
  t.same(heard, [cacheKey('client-token', 'jti-1')], 'the hashed key, never the credential')
  stop()
  await cache.delete('client-token', 'jti-2')
  t.equal(heard.length, 1, 'an unsubscribed listener hears nothing more')
})
