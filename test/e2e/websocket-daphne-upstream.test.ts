import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'
import { USER_AUTH_YAML, userToken } from '../helpers/user-token.js'
import { closed, nextMessage, openWs } from '../helpers/websocket.js'
import { DAPHNE, PYTHON, requires } from '../helpers/requires.js'
import { ROOT } from '../helpers/paths.js'
import { until } from '../helpers/until.js'

const EXAMPLE = join(ROOT, 'examples', 'asgi-websocket')

t.test('a bare ASGI app under daphne reads Remote-User from the handshake scope', { skip: requires(DAPHNE) }, async t => {
  const port = await freePort()
  const child = spawn(PYTHON, ['-m', 'daphne', '-b', '127.0.0.1', '-p', String(port), 'app:application'], {
    cwd: EXAMPLE,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  await until('daphne to listen', () => {
    if (child.exitCode !== null) throw new Error(`daphne did not start:\n${out}`)
    return out.includes('Listening on TCP address')
  }, 30_000).catch((err: Error) => { throw new Error(`${err.message}:\n${out}`) })

  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
${USER_AUTH_YAML}
upstreams:
  channels: { url: "http://127.0.0.1:${port}" }
routes:
  - { match: /ws/*, upstream: channels, policy: user, user: [idp], websocket: true }
  - { match: /open/*, upstream: channels, policy: public, websocket: true }
`)
  const opened = await openWs(`${gw.url}/ws/chat?room=lobby`, { headers: { authorization: `Bearer ${await userToken('alice')}`, 'remote-user': 'mallory' } })
  t.equal(opened.kind, 'open', 'switched')
  if (opened.kind !== 'open') return
  t.same(
    opened.hello,
    { user: 'alice', path: '/ws/chat', query: 'room=lobby', saw_authorization: false },
    'the app saw the verified user, not the spoofed one, and no token'
  )
  opened.ws.send('hi')
  t.equal((await nextMessage(opened.ws)).data.toString(), 'alice: hi', 'messages cross')
  const end = closed(opened.ws)
  opened.ws.close(1000)
  t.equal((await end).code, 1000)

  const anonymous = await openWs(`${gw.url}/open/chat`, { headers: { 'remote-user': 'mallory' } })
  t.equal(anonymous.kind === 'refused' && anonymous.status, 403, 'anonymous through a public route: the app itself refuses (no Remote-User reached it)')
})
