import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { CONFIG, gatehouseTest } from '../helpers/policy-tests.js'

t.test('test --init writes a starter case file from the config that passes against it', async t => {
  const dir = tempDir(t, { 'gw.yaml': CONFIG })
  const init = await gatehouseTest(dir, ['--init', '-c', 'gw.yaml', 'cases.yaml'])
  t.equal(init.status, 0, init.stderr)
  const text = readFileSync(join(dir, 'cases.yaml'), 'utf8')
  t.match(text, /name: GET \/api\/catalog\/example is allowed \(public\)/)
  t.match(text, /name: HEAD \/api\/catalog\/example without credentials is refused/)
  t.match(text, /name: GET \/api\/orders\/example is allowed \(client\+user\)/)
  const run = await gatehouseTest(dir, ['-c', 'gw.yaml', 'cases.yaml'])
  t.equal(run.status, 0, run.stdout)
  t.match(run.stdout, /^5 passed, 0 failed$/m)

  const again = await gatehouseTest(dir, ['--init', '-c', 'gw.yaml', 'cases.yaml'])
  t.equal(again.status, 2, 'an existing case file is never overwritten')
})
