import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { publicRouteYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { ROOT } from '../helpers/paths.js'

/** What HTTP/1.1 framing and the connection add: not the gateway's to show. */
const FRAMING = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'])

t.test('the README\'s forwarded request shows every header the gateway adds to each request', async t => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const block = /reaches the orders service as\s*```http\n([\s\S]*?)```/.exec(readme)?.[1]
  if (block === undefined) throw new Error('README.md: no ```http block after "reaches the orders service as"')
  const shown = new Set(block.split('\n').slice(1).map(l => l.split(':')[0]?.trim().toLowerCase()).filter(n => n !== undefined && n !== ''))

  const gw = await startTestGateway(t, publicRouteYaml(await startEcho(t)))
  const sent = { accept: 'application/json' }
  const res = await request(`${gw.url}/api/x`, { headers: sent })
  const echo = await res.body.json() as Echo
  const added = Object.keys(echo.headers).filter(n => !FRAMING.has(n) && !(n in sent) && n !== 'user-agent')
  t.ok(added.includes('traceparent'), 'every upstream request carries a traceparent')
  t.same(added.filter(n => !shown.has(n)), [], `the README shows ${added.join(', ')}`)
})
