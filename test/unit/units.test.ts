import t from 'tap'
import { parseDuration, parseExpiry, parseHostPort, parseSize } from '../../src/config/units.js'

t.test('durations', async t => {
  t.equal(parseDuration('500ms'), 500)
  t.equal(parseDuration('30s'), 30_000)
  t.equal(parseDuration('5m'), 300_000)
  t.equal(parseDuration('1h'), 3_600_000)
  t.equal(parseDuration('7d'), 604_800_000)
  t.equal(parseDuration('0s'), 0)
  for (const bad of ['5', '1.5s', '-1s', '1w', ' 1s', '']) t.throws(() => parseDuration(bad), RangeError, bad)
})

t.test('sizes: a number is bytes; SI and binary units', async t => {
  t.equal(parseSize(1234), 1234)
  t.equal(parseSize('1234'), 1234)
  t.equal(parseSize('10B'), 10)
  t.equal(parseSize('2KB'), 2000)
  t.equal(parseSize('2KiB'), 2048)
  t.equal(parseSize('3MB'), 3_000_000)
  t.equal(parseSize('16MiB'), 16 * 1024 * 1024)
  t.equal(parseSize('1GB'), 1e9)
  t.equal(parseSize('1GiB'), 1024 ** 3)
  for (const bad of ['1kb', '1.5MB', 'MB', '-1']) t.throws(() => parseSize(bad), RangeError, bad)
})

t.test('expiry: a date alone lasts through that day (UTC); a timestamp is exact', async t => {
  t.equal(parseExpiry('2027-06-30'), Date.UTC(2027, 5, 30, 23, 59, 59, 999))
  t.equal(parseExpiry('2027-06-30T12:00:00Z'), Date.UTC(2027, 5, 30, 12))
  t.throws(() => parseExpiry('next tuesday'), RangeError)
})

t.test('host:port, [v6]:port and :port (all interfaces)', async t => {
  t.same(parseHostPort('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 })
  t.same(parseHostPort('[::1]:9090'), { host: '::1', port: 9090 })
  t.same(parseHostPort(':80'), { host: '0.0.0.0', port: 80 })
  t.same(parseHostPort('gateway.internal:0'), { host: 'gateway.internal', port: 0 })
})
