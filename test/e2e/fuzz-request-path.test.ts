import t from 'tap'
import { fuzz, startFuzzRig } from '../helpers/fuzz.js'

// The long run is `npm run fuzz`; here 10,000 cases of the same generators and oracle, 32 at a
// time on their own connections, with a seed per run (printed): a failing case replays alone,
// shrunk, with `npm run fuzz -- --seed S --replay I`.
const cases = 10_000
// About 30 cases a second with the machine's two cores at load 40 (other suites), a few hundred
// when quiet: this test's own bound, past tap's default for a group.
const bound = 15 * 60_000
t.setTimeout(bound)

const name = 'generated raw requests: answered or closed, no 5xx, no identity or credential upstream, only the matched route, pools back to idle'
t.test(name, { timeout: bound }, async t => {
  const rig = await startFuzzRig(t)
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
  t.comment(`seed ${seed}`)
  const summary = await fuzz(rig, { cases, seed, parallel: 32 })
  t.comment(`${summary.cases} cases in ${summary.seconds.toFixed(1)} s; ${summary.forwarded} requests forwarded; ${summary.known} known findings`)
  t.comment(`case ms ${JSON.stringify(summary.caseMs)}`)
  t.same(summary.failure, undefined, `no property broken (seed ${seed}; ${JSON.stringify(summary.byProperty)})`)
  t.equal(summary.cases, cases, 'every case ran')
  t.ok(summary.forwarded > cases / 100, `a share of the cases reached an upstream (${summary.forwarded})`)
})
