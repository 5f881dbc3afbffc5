import t from 'tap'
import { tempDir } from '../helpers/gateway.js'
import { CONFIG, gatehouseTest } from '../helpers/policy-tests.js'

const CASES = `cases:
  - name: orders need the app and the user
    request: { method: GET, path: /api/orders/7, client: { apiKey: android } }
    expect: { deny: 401, code: missing_credentials }
  - name: alice reads an order
    request:
      method: GET
      path: /api/orders/7
      client: { apiKey: android }
      user: { jwt: idp, sub: alice, scopes: [orders:read], azp: android-id }
    expect: { allow: true, headers: { Remote-User: alice } }
`

t.test('--against OLD.yaml lists every case whose decision changes; exit 3 when a refusal became an allow', async t => {
  // The change under review: orders readable by any app, without a user.
  const widened = CONFIG.replace('policy: client+user', 'policy: { GET: client, "*": client+user }')
  const dir = tempDir(t, { 'old.yaml': CONFIG, 'new.yaml': widened, 'cases.yaml': CASES })

  const same = await gatehouseTest(dir, ['-c', 'old.yaml', 'cases.yaml', '--against', 'old.yaml'])
  t.equal(same.status, 0, same.stdout + same.stderr)
  t.match(same.stdout, /against the old config: no decision changes/)

  const run = await gatehouseTest(dir, ['-c', 'new.yaml', 'cases.yaml', '--against', 'old.yaml'])
  t.equal(run.status, 1, 'the case that says orders need a user now fails')
  t.match(run.stdout, /^FAIL orders need the app and the user/m)
  t.match(run.stdout, /WIDENS +orders need the app and the user: deny 401 missing_credentials at authenticate: .* → allow \/api\/orders\/\* \(client android\)/)

  // Once the case is updated to the new intent, the run passes but still says access widened.
  const updated = tempDir(t, {
    'old.yaml': CONFIG,
    'new.yaml': widened,
    'cases.yaml': CASES.replace('expect: { deny: 401, code: missing_credentials }', 'expect: { allow: true, headers: { Remote-User: null } }')
  })
  const reviewed = await gatehouseTest(updated, ['-c', 'new.yaml', 'cases.yaml', '--against', 'old.yaml', '--json'])
  t.equal(reviewed.status, 3, 'every case passes, and the exit code still says a refusal became an allow')
  const report = JSON.parse(reviewed.stdout) as { changes: Array<{ name: string, widens: boolean }> }
  t.same(report.changes.map(c => [c.name, c.widens]), [['orders need the app and the user', true]])

  // A change of what the upstream is told is listed too, though nothing widens.
  const renamed = CONFIG + 'identity:\n  headers: { user: X-User }\n'
  const headers = tempDir(t, {
    'old.yaml': CONFIG,
    'new.yaml': renamed,
    'cases.yaml': CASES.replace('headers: { Remote-User: alice }', 'route: /api/orders/*')
  })
  const told = await gatehouseTest(headers, ['-c', 'new.yaml', 'cases.yaml', '--against', 'old.yaml'])
  t.equal(told.status, 0)
  t.match(told.stdout, /changes alice reads an order: remote-user: alice → \(none\); x-user: \(none\) → alice/)
})
