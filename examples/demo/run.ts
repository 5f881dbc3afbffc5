import { join } from 'node:path'
import { startGateway } from '../../plugins/server.js'
import { listenEchoUpstream } from '../echo-upstream.js'

const DEMO_KEY = 'gh_demo-android-key-do-not-use-in-production'

const upstream = await listenEchoUpstream()
process.env.DEMO_UPSTREAM = upstream.url
const gw = await startGateway(join(import.meta.dirname, '..', '..', '..', 'examples', 'demo', 'gateway.config.yaml'))
const u = gw.url

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
  curl -si ${u}/api/orders/42

  # client policy with the key: proxied, key removed, identity set
  curl -s ${u}/api/orders/42 -H 'X-API-Key: ${DEMO_KEY}'

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
