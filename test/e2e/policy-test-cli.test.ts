import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { CONFIG, gatehouseTest } from '../helpers/policy-tests.js'

const CASES = `cases:
  - name: anyone reads the catalogue
    request: { method: GET, path: /api/catalog/1 }
    expect: { allow: true, route: /api/catalog/*, headers: { Remote-User: null } }
  - name: alice reads an order from the Android app
    request:
      method: GET
      path: /api/orders/7
      client: { apiKey: android }
      user: { jwt: idp, sub: alice, scopes: [orders:read], azp: android-id }
    expect: { allow: true, route: /api/orders/*, headers: { Remote-User: alice, Remote-Client: android, Authorization: null } }
  - name: bob's introspected token from another app
    request:
      method: GET
      path: /api/orders/7
      client: { apiKey: android }
      user: { introspection: oauth, sub: bob, scopes: [orders:read], claims: { client_id: web-id } }
    expect: { deny: 403, code: client_mismatch, stage: authorize }
  - name: an inactive token
    request: { method: GET, path: /api/orders/7, client: { apiKey: android }, user: { introspection: oauth, sub: bob, active: false } }
    expect: { deny: 401, code: invalid_token }
`

const FAILING = `cases:
  - name: orders are public (they are not)
    request: { method: GET, path: /api/orders/7 }
    expect: { allow: true }
`

t.test('gatehouse test: every case through the real decision, one line each, exit 0', async t => {
  const dir = tempDir(t, { 'gw.yaml': CONFIG, 'cases.yaml': CASES })
  const run = await gatehouseTest(dir, ['-c', 'gw.yaml', 'cases.yaml', '--junit', 'report.xml'])
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /^ok {3}anyone reads the catalogue {2}\(cases\.yaml:2\)$/m)
  t.match(run.stdout, /^ok {3}alice reads an order from the Android app/m)
  t.match(run.stdout, /^4 passed, 0 failed$/m)
  const junit = readFileSync(join(dir, 'report.xml'), 'utf8')
  t.match(junit, /<testsuites name="gatehouse policy tests" tests="4" failures="0">/)
  t.equal(junit.match(/<testcase /g)?.length, 4, 'one testcase per case')
})

t.test('a failing case: exit 1, expected and actual decisions and the stage', async t => {
  const dir = tempDir(t, { 'gw.yaml': CONFIG, 'cases.yaml': FAILING })
  const run = await gatehouseTest(dir, ['-c', 'gw.yaml', 'cases.yaml', '--junit', 'report.xml'])
  t.equal(run.status, 1)
  t.match(run.stdout, /^FAIL orders are public \(they are not\)/m)
  t.match(run.stdout, /expected: allow\n\s+actual: {3}deny 401 missing_credentials at authenticate/)
  t.match(run.stdout, /^0 passed, 1 failed$/m)
  t.match(readFileSync(join(dir, 'report.xml'), 'utf8'), /<failure message="expected allow, got deny 401 missing_credentials/)

  const json = await gatehouseTest(dir, ['-c', 'gw.yaml', 'cases.yaml', '--json'])
  t.equal(json.status, 1)
  const report = JSON.parse(json.stdout) as { failed: number, cases: Array<{ actual: { decision: string, status: number, code: string, stage: string } }> }
  t.equal(report.failed, 1)
  t.match(report.cases[0]?.actual, { decision: 'deny', status: 401, code: 'missing_credentials', stage: 'authenticate' })
})

t.test('a case file error names file, line, column and key: exit 2, nothing run', async t => {
  const dir = tempDir(t, {
    'gw.yaml': CONFIG,
    'cases.yaml': `cases:
  - name: one
    request: { method: GET, path: /api/catalog/1 }
    expect: { allow: yes-please }
  - name: two
    request: { method: GET, path: /api/orders/1, user: { jwt: idp } }
    expect: { deny: 401, colour: red }
`
  })
  const run = await gatehouseTest(dir, ['-c', 'gw.yaml', 'cases.yaml'])
  t.equal(run.status, 2)
  t.equal(run.stdout, '')
  t.match(run.stderr, /^cases\.yaml:4:22 cases\[0\]\.expect\.allow: must be true/m)
  t.match(run.stderr, /^cases\.yaml:6:56 cases\[1\]\.request\.user\.sub: must be a string/m)
  t.match(run.stderr, /^cases\.yaml:7:26 cases\[1\]\.expect\.colour: unknown key/m)

  const unknown = tempDir(t, {
    'gw.yaml': CONFIG,
    'cases.yaml': 'cases:\n  - name: x\n    request: { method: GET, path: /, client: { apiKey: nobody } }\n    expect: { deny: 404 }\n'
  })
  const setup = await gatehouseTest(unknown, ['-c', 'gw.yaml', 'cases.yaml'])
  t.equal(setup.status, 2)
  t.match(setup.stderr, /case "x": no client "nobody" in the config/)

  const badConfig = tempDir(t, { 'gw.yaml': 'routes: 3\n', 'cases.yaml': CASES })
  const config = await gatehouseTest(badConfig, ['-c', 'gw.yaml', 'cases.yaml'])
  t.equal(config.status, 2)
  t.match(config.stderr, /gw\.yaml:1:9 routes: /)
})
