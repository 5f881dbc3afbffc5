import t from 'tap'
import { join } from 'node:path'
import { ConfigError, formatIssue, parseConfig } from '../../src/config/load.js'
import { tempDir } from '../helpers/gateway.js'

const YAML = `server:
  admin: 127.0.0.1:0
  adminToken: \${ADMIN_TOKEN}
upstreams:
  web: { url: "\${UPSTREAM_URL:-http://127.0.0.1:9}" }
routes:
  - { match: /*, upstream: web, policy: public }
`

const issues = (env: NodeJS.ProcessEnv): string[] => {
  try {
    parseConfig(YAML, '/gw.yaml', env)
    return []
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return err.issues.map(formatIssue)
  }
}

// Docker and Kubernetes hand secrets over as files: NAME_FILE names one, for any ${NAME}.
t.test('${NAME} is read from the file NAME_FILE names, without its final newline', async t => {
  const dir = tempDir(t, { 'admin-token': 'from-a-secret-file-0123456789\n', url: 'http://orders:8000' })
  const cfg = parseConfig(YAML, '/gw.yaml', { ADMIN_TOKEN_FILE: join(dir, 'admin-token'), UPSTREAM_URL_FILE: join(dir, 'url') })
  t.equal(cfg.server.adminToken, 'from-a-secret-file-0123456789')
  t.equal(cfg.upstreams.get('web')?.url, 'http://orders:8000', 'a file wins over the ${NAME:-default}')
  t.equal(
    parseConfig(YAML, '/gw.yaml', { ADMIN_TOKEN: 'from-the-environment-0123', ADMIN_TOKEN_FILE: '' }).server.adminToken,
    'from-the-environment-0123',
    'an empty NAME_FILE is unset'
  )

  t.same(issues({ ADMIN_TOKEN: 'from-the-environment-0123', ADMIN_TOKEN_FILE: join(dir, 'admin-token') }),
    ['/gw.yaml:3:15 server.adminToken: both ADMIN_TOKEN and ADMIN_TOKEN_FILE are set: set one'])
  t.same(issues({ ADMIN_TOKEN_FILE: join(dir, 'missing') }),
    [`/gw.yaml:3:15 server.adminToken: ADMIN_TOKEN_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`])
  t.same(issues({}), [
    '/gw.yaml:3:15 server.adminToken: environment variable ADMIN_TOKEN (or ADMIN_TOKEN_FILE) is not set (write ${ADMIN_TOKEN:-default} for a default)'
  ])
})
