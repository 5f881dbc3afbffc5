import t from 'tap'
import { ConfigError } from '../../src/config/load.js'
import { configOf } from '../helpers/config.js'

function issuesOf (yaml: string): string[] {
  try {
    configOf(yaml)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return err.issues.map(i => `${i.line}:${i.col} ${i.path}: ${i.message}`)
  }
  throw new Error('the config loaded')
}

const routes = (route: string, server = ''): string => `${server}upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - match: /api/v1/users/:id
    upstream: app
    policy: public
${route}`

t.test('cors: a route\'s own, else the server\'s, else none; false turns the server\'s off', async t => {
  const server = 'server:\n  cors: { origins: ["https://app.example"], credentials: true, maxAge: 10m }\n'
  const c = configOf(`${server}upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /a/*, upstream: app, policy: public }
  - { match: /b/*, upstream: app, policy: public, cors: false }
  - { match: /c/*, upstream: app, policy: public, cors: { origins: ["*"], exposeHeaders: [X-Request-Id] } }
`)
  t.same(c.routes[0]?.cors, { origins: ['https://app.example'], methods: undefined, headers: undefined, exposeHeaders: [], credentials: true, maxAgeS: 600 })
  t.equal(c.routes[1]?.cors, undefined)
  t.same(c.routes[2]?.cors, { origins: ['*'], methods: undefined, headers: undefined, exposeHeaders: ['X-Request-Id'], credentials: false, maxAgeS: undefined })
})

t.test('cors errors name the line and the key', async t => {
  t.same(issuesOf(routes('    cors: { origins: ["*"], credentials: true }\n')), [
    '7:42 routes[0].cors.credentials: credentials with origins ["*"] would let any site act with the user\'s cookies (and browsers refuse it): list the origins'
  ])
  t.same(issuesOf(routes('', 'server:\n  cors: { origins: ["*", "https://a.example"] }\n')), [
    '2:20 server.cors.origins: "*" allows every origin: list it alone'
  ])
  t.same(issuesOf(routes('    cors: { origins: ["null", "https://a.example/x", "https://*"] }\n')).map(i => i.replace(/: .*/, '')), [
    '7:23 routes[0].cors.origins[0]', '7:31 routes[0].cors.origins[1]', '7:54 routes[0].cors.origins[2]'
  ], 'each bad origin at its own column')
})

t.test('rewrite errors name the line and the key', async t => {
  t.same(issuesOf(routes('    rewrite: { to: /users/:uid }\n')), ['7:14 routes[0].rewrite: :uid is not a parameter of /api/v1/users/:id'])
  t.same(issuesOf(routes('    rewrite: { stripPrefix: /v1 }\n')), [
    '7:14 routes[0].rewrite: stripPrefix /v1 is not a leading run of static segments of /api/v1/users/:id'
  ])
  t.match(issuesOf(routes('    rewrite: { stripPrefix: /api, to: /x }\n'))[0], /routes\[0\]\.rewrite/)
  const c = configOf(routes('    rewrite: { to: /users/:id }\n'))
  t.same(c.routes[0]?.rewrite, { to: '/users/:id' })
})
