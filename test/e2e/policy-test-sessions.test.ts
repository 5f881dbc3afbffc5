import t from 'tap'
import { tempDir } from '../helpers/gateway.js'
import { gatehouseTest } from '../helpers/policy-tests.js'

// The provider is never contacted: a case's session is made as a login would make it, in the test's own store.
const CONFIG = `server:
  publicOrigins: [https://app.example]
upstreams:
  web: { url: "http://127.0.0.1:9" }
authenticators:
  browser: { type: oidc, issuer: "https://idp.example/", clientId: gateway-web, clientSecret: s3cret }
routes:
  - match: /account/*
    upstream: web
    policy: user
    user: [browser]
    require: { claims: { role: member } }
`

const CASES = `cases:
  - name: alice's browser session reaches her account
    request: { method: GET, path: /account/me, user: { session: browser, user: alice, claims: { role: member } } }
    expect: { allow: true, route: /account/*, headers: { Remote-User: alice, Cookie: null } }
  - name: a session without the claim is refused
    request: { method: GET, path: /account/me, user: { session: browser, user: bob } }
    expect: { deny: 403, code: forbidden }
  - name: a page load without a session goes to log in
    request: { method: GET, path: /account/me, headers: { Accept: text/html } }
    expect: { login: true }
  - name: a cross-site form post with the session cookie is refused
    request:
      method: POST
      path: /account/me
      headers: { Origin: "https://evil.example" }
      user: { session: browser, user: alice, claims: { role: member } }
    expect: { deny: 403, code: csrf_failed, stage: csrf }
  - name: the same post from the app itself passes
    request:
      method: POST
      path: /account/me
      headers: { Origin: "https://app.example" }
      user: { session: browser, user: alice, claims: { role: member } }
    expect: { allow: true, headers: { Remote-User: alice } }
`

t.test('gatehouse test makes a browser session for a case: allow, claims, login redirect and CSRF through the real decision', async t => {
  const dir = tempDir(t, { 'gw.yaml': CONFIG, 'cases.yaml': CASES })
  const run = await gatehouseTest(dir, ['-c', 'gw.yaml', 'cases.yaml'])
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /^5 passed, 0 failed$/m)
  const bad = tempDir(t, {
    'gw.yaml': CONFIG,
    'cases.yaml': 'cases:\n  - name: x\n    request: { method: GET, path: /account/me, user: { session: nobody, user: a } }\n    expect: { deny: 401 }\n'
  })
  const setup = await gatehouseTest(bad, ['-c', 'gw.yaml', 'cases.yaml'])
  t.equal(setup.status, 2)
  t.match(setup.stderr, /case "x": no authenticator "nobody" in the config/)
})
