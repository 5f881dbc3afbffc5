import t from 'tap'
import { ROOT } from '../helpers/paths.js'
import { gatehouseTest } from '../helpers/policy-tests.js'

// The repository's own examples ship the cases their routes must hold to.
t.test('examples/demo: its policy cases pass against its config', async t => {
  const run = await gatehouseTest(ROOT, ['-c', 'examples/demo/gateway.config.yaml', 'examples/demo/policy-cases.yaml'], { DEMO_UPSTREAM: 'http://127.0.0.1:9' })
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /^12 passed, 0 failed$/m)
})

t.test('examples/drf-upstream: its policy cases pass against its config', async t => {
  const run = await gatehouseTest(ROOT, ['-c', 'examples/drf-upstream/gateway.config.yaml', 'examples/drf-upstream/policy-cases.yaml'], {
    DRF_JWT_SECRET: 'policy-test-only-secret-of-32-bytes-min'
  })
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /^8 passed, 0 failed$/m)
})
