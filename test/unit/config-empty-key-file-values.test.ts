import t from 'tap'
import { configOf } from '../helpers/config.js'

// `${VAR}` with the variable unset leaves "": that is no file, not the config's own folder.
t.test('an empty key-file value stays empty (absent), a named one is resolved against the config\'s folder', async t => {
  const config = configOf(`authenticators:
  idp: { type: jwt, issuer: "https://idp.test/", audience: api, publicKey: "", secret: "${'s'.repeat(32)}" }
  keyed: { type: jwt, issuer: "https://idp.test/", audience: api, publicKey: "keys/idp.pem" }
  browser: { type: oidc, issuer: "http://127.0.0.1:9", clientId: web, clientSecret: "${'c'.repeat(32)}", privateKey: "" }
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, policy: user, user: [idp, keyed, browser] }
`)
  const spec = (name: string): Record<string, unknown> => config.authenticators.get(name)?.spec as Record<string, unknown>
  t.equal(spec('idp').publicKey, '')
  t.equal(spec('browser').privateKey, '')
  t.match(spec('keyed').publicKey, /^\/.+\/keys\/idp\.pem$/)
})
