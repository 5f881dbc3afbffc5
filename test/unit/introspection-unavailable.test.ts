import t from 'tap'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/logger.js'
import type { OriginCall } from '../../src/auth/types.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'
import { until } from '../helpers/until.js'

const unavailable = {
  status: 503,
  code: 'auth_unavailable',
  detail: 'the authorization server could not check the token',
  challenges: [],
  headers: { 'retry-after': '5' }
}

function capturing (): { logger: ReturnType<typeof createLogger>, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const logger = createLogger(
    'info',
    [],
    new Writable({
      write (chunk: Buffer, _e, cb) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
        cb()
      }
    })
  )
  return { logger, lines }
}

t.test('an answer the gateway cannot use is a 503 with Retry-After, logged, and never cached', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const { logger, lines } = capturing()
  const observed: Array<[OriginCall, string, boolean]> = []
  const u = await authUnit(introspectionYaml(ep), undefined, {
    logger,
    observe: (call, name, seconds, ok) => {
      if (seconds >= 0) observed.push([call, name, ok])
    }
  })
  const raws: Array<[number, string]> = [
    [500, '{"active":true,"sub":"alice"}'],
    [200, 'not json'],
    [200, '[]'],
    [200, '{"active":true,"sub":"alice","exp":"soon"}'],
    [200, JSON.stringify({ active: true, sub: 'alice', pad: 'x'.repeat(64 * 1024) })]
  ]
  for (const [status, body] of raws) {
    ep.raw = { status, body }
    t.same(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), unavailable, `${status} ${body.slice(0, 40)}`)
  }
  t.equal(ep.calls.length, raws.length, 'each asked again: no failure was cached')
  t.same(
    observed,
    raws.map(() => ['introspection', 'as', false])
  )
  await until('a warning per failure', () => lines.filter(l => l.msg === 'token introspection failed: refusing the request').length === raws.length)
  t.match(
    lines.find(l => l.msg === 'token introspection failed: refusing the request'),
    { level: 40, authenticator: 'as', err: { message: 'introspection endpoint answered 500' } }
  )
  ep.raw = undefined
  ep.answers.set('tok-1', { active: true, sub: 'alice' })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { id: 'alice' })
  t.same(observed.at(-1), ['introspection', 'as', true])
})

t.test('an endpoint that is down, or slower than timeout, is a 503', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep, { timeout: '1s' }))
  let release = (): void => {}
  ep.held = new Promise(resolve => {
    release = resolve
  })
  t.same(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), unavailable, 'held past the timeout')
  release()
  await ep.stop()
  t.same(await authOutcome(u.get('as'), authRequest(bearer('tok-2'))), unavailable, 'connection refused')
})

t.test('past maxInFlight calls at once, a token that needs one more is a 503 at once, logged at debug only', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const { logger, lines } = capturing()
  const u = await authUnit(introspectionYaml(ep, { maxInFlight: 1 }), undefined, { logger })
  let release = (): void => {}
  ep.held = new Promise(resolve => {
    release = resolve
  })
  ep.answers.set('tok-1', { active: true, sub: 'alice' })
  ep.answers.set('tok-2', { active: true, sub: 'bob' })
  const first = authOutcome(u.get('as'), authRequest(bearer('tok-1')))
  await until('the first call reached the endpoint', () => ep.calls.length === 1)
  t.same(await authOutcome(u.get('as'), authRequest(bearer('tok-2'))), unavailable)
  t.equal(ep.calls.length, 1, 'the second token was never sent')
  release()
  t.match(await first, { id: 'alice' })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-2'))), { id: 'bob' }, 'the slot is free again')
  t.equal(lines.filter(l => l.level === 40).length, 0, 'no warning for a full bound')
})
