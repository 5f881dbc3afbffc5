import t from 'tap'
import { Client } from 'undici'
import { startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml } from '../helpers/decision-api.js'
import { startEcho } from '../helpers/upstream.js'

t.test('the decisions token is checked on every request of a kept-alive connection, not only its first', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, decisionsYaml(upstream))
  // One connection, kept open between requests, as nginx keeps its connections to the decision API.
  const connection = new Client(gw.decisionsUrl as string, { connections: 1, pipelining: 1 } as ConstructorParameters<typeof Client>[1])
  t.teardown(async () => { await connection.close() })
  const ask = async (token: string | undefined): Promise<number> => {
    const headers: Record<string, string> = { 'x-original-method': 'GET', 'x-original-uri': '/public/a' }
    if (token !== undefined) headers['x-gatehouse-decisions-token'] = token
    const res = await connection.request({ method: 'GET', path: '/nginx', headers })
    await res.body.dump()
    return res.statusCode
  }
  const wrong = [`${DECISIONS_TOKEN}x`, DECISIONS_TOKEN.slice(0, -1), DECISIONS_TOKEN.toUpperCase(), `${DECISIONS_TOKEN}, ${DECISIONS_TOKEN}`, '']
  t.equal(await ask(DECISIONS_TOKEN), 200, 'the token opens the connection\'s first request')
  for (const token of wrong) {
    t.equal(await ask(token), 401, `then ${JSON.stringify(token)} is refused on the same connection`)
    t.equal(await ask(DECISIONS_TOKEN), 200, 'and the token is still taken')
  }
  t.equal(await ask(undefined), 401, 'no token at all: refused')
})
