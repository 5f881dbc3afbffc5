import t from 'tap'
import { ConfigError, formatIssue, parseConfig } from '../../src/config/load.js'

const YAML = `server:
  listen: \${LISTEN:-127.0.0.1:8080}
  trustProxy: \${TRUST:-false}
upstreams:
  web: { url: "\${UPSTREAM_URL}", timeout: "\${UPSTREAM_TIMEOUT:-5s}" }
routes:
  - match: /\${PREFIX:-api}/*
    upstream: web
    policy: public
`

t.test('${VAR} and ${VAR:-default} come from the environment', async t => {
  const cfg = parseConfig(YAML, '/gw.yaml', { UPSTREAM_URL: 'http://orders:8000', TRUST: 'true', PREFIX: 'v2' })
  t.same(cfg.server.listen, { host: '127.0.0.1', port: 8080 }, 'default used when unset')
  t.equal(cfg.server.trustProxy, true, 'a plain scalar is typed after expansion')
  t.equal(cfg.upstreams.get('web')?.url, 'http://orders:8000')
  t.equal(cfg.upstreams.get('web')?.timeoutMs, 5000)
  t.equal(cfg.routes[0].match, '/v2/*', 'interpolation inside a string')
})

t.test('a variable without default that is not set is an error at its line', async t => {
  try {
    parseConfig(YAML, '/gw.yaml', {})
    t.fail('should throw')
  } catch (err) {
    t.ok(err instanceof ConfigError)
    t.same((err as ConfigError).issues.map(formatIssue), [
      '/gw.yaml:5:15 upstreams.web.url: environment variable UPSTREAM_URL (or UPSTREAM_URL_FILE) is not set (write ${UPSTREAM_URL:-default} for a default)'
    ])
  }
})

t.test('an empty variable counts as unset, so its default applies', async t => {
  const cfg = parseConfig(YAML, '/gw.yaml', { UPSTREAM_URL: 'http://a:1', LISTEN: '' })
  t.equal(cfg.server.listen.port, 8080)
})
