import t from 'tap'
import { ConfigError, parseConfig } from '../../src/config/load.js'
import { hashSecret } from '../../src/secrets/client-secret.js'

const base = `upstreams:
  orders: { url: "http://127.0.0.1:1" }
`

function issuesOf (yaml: string): string[] {
  try {
    parseConfig(yaml, '/etc/gatehouse/gateway.config.yaml', {})
    return []
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(i => `${i.line}:${i.col} ${i.path}: ${i.message}`)
    throw err
  }
}

t.test('client secret hashes and the token endpoint paths are checked at load, with positions', async t => {
  const good = await hashSecret('s3cret')
  t.same(issuesOf(`clients:\n  - id: a\n    secretHash: "${good}"\n${base}routes: []\n`), [], 'a hash from hash-secret loads')

  const bad = issuesOf(`clients:\n  - id: a\n    secretHash: "scrypt$N=3,r=8,p=1$abc$def"\n${base}routes: []\n`)
  t.equal(bad.length, 1)
  t.match(bad[0], /^3:17 clients\[0\]\.secretHash: not a secret hash this gateway can check/)
  const huge = issuesOf(`clients:\n  - id: a\n    secretHash: "${good.replace('N=32768', `N=${2 ** 24}`)}"\n${base}routes: []\n`)
  t.equal(huge.length, 1, 'a cost that would make every login take gigabytes is refused')

  const reserved = issuesOf(`${base}routes:\n  - match: /oauth/token\n    upstream: orders\n    policy: public\n`)
  t.match(reserved[0], /^4:12 routes\[0\]\.match: \/oauth\/token is served by the gateway's token endpoints/)
  t.same(
    issuesOf(`${base}routes:\n  - match: /oauth/*\n    upstream: orders\n    policy: public\n`),
    [],
    'a prefix route around them is fine: the endpoints take precedence'
  )
})
