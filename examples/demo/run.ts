import { join } from 'node:path'
import { SignJWT } from 'jose'
import { startGateway } from '../../runtime/server.js'
import { listenEchoUpstream } from '../echo-upstream.js'

const DEMO_KEY = 'gh_demo-android-key-do-not-use-in-production'

const upstream = await listenEchoUpstream()
process.env.DEMO_UPSTREAM = upstream.url
const gw = await startGateway(join(import.meta.dirname, '..', '..', '..', 'examples', 'demo', 'gateway.config.yaml'))
const u = gw.url
const secret = process.env.DEMO_JWT_SECRET ?? 'demo-only-hs256-secret-at-least-32-bytes'
const userToken = await new SignJWT({ scope: 'orders:read', email: 'alice@example.com' })
  .setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer('https://demo-idp.local/').setAudience('demo-api')
  .setIssuedAt().setExpirationTime('12h').sign(new TextEncoder().encode(secret))

process.stdout.write(`
gatehouse demo: the gateway on ${u}, in front of an echo upstream on ${upstream.url}
(the upstream answers with the request it received, so you can see the identity headers).
Admin: ${gw.adminUrl ?? 'off'}/healthz and /readyz. Ctrl-C stops.

  # public: anyone passes; the upstream sees no Remote-Client
  curl -s ${u}/api/public/hello

  # public with a valid key: the upstream learns the client (Remote-Client: android)
  curl -s ${u}/api/public/hello -H 'X-API-Key: ${DEMO_KEY}'

  # a wrong key fails even on a public route (401, problem+json)
  curl -si ${u}/api/public/hello -H 'X-API-Key: wrong'

  # client policy: no key is 401 with a WWW-Authenticate challenge
  curl -si ${u}/api/catalog/42

  # client policy with the key: proxied, key removed, identity set
  curl -s ${u}/api/catalog/42 -H 'X-API-Key: ${DEMO_KEY}'

  # user policy: a JWT from the identity provider (valid 12h) makes Remote-User: alice
  curl -s ${u}/api/me/profile -H 'Authorization: Bearer ${userToken}'

  # client+user policy with a required scope: the app's key AND the user's token, or 401
  curl -si ${u}/api/orders/42 -H 'X-API-Key: ${DEMO_KEY}'
  curl -s ${u}/api/orders/42 -H 'X-API-Key: ${DEMO_KEY}' -H 'Authorization: Bearer ${userToken}'

  # a spoofed identity header never reaches the upstream
  curl -s ${u}/api/public/hello -H 'Remote-User: admin' -H 'Remote_User: admin'

  # per-method policy: GET is public, POST needs a client
  curl -s ${u}/api/articles/1
  curl -si -X POST ${u}/api/articles -d '{}'

  # nothing undeclared is proxied
  curl -si ${u}/internal/metrics
`)

const stop = (): void => {
  void gw.close().then(() => {
    upstream.server.close()
    process.exit(0)
  })
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
