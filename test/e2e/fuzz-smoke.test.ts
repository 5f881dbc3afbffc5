import t from 'tap'
import { fuzz, startFuzzRig } from '../helpers/fuzz.js'

// The long run is `npm run fuzz`; here 10,000 cases of the same generators and oracle, with a
// seed per run (printed) so a failure replays with `npm run fuzz -- --seed S --cases 10000`.
const cases = Number(process.env.FUZZ_CASES ?? 10_000)
// About 40-70 cases a second on this 2-core machine under other suites' load (100+ quiet):
// minutes, so the test's own bound, not tap's default.
t.setTimeout(20 * 60_000)

t.test('generated raw requests: answered or closed, no 5xx, no identity or credential upstream, only the matched route, pool alive', { timeout: 20 * 60_000 }, async t => {
  const rig = await startFuzzRig(t)
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
  t.comment(`seed ${seed}`)
  const summary = await fuzz(rig, { cases, seed, parallel: 4 })
  t.comment(`${summary.cases} cases in ${summary.seconds.toFixed(1)} s; ${summary.forwarded} requests forwarded; ${summary.known} known findings`)
  t.equal(summary.cases, cases)
  t.ok(summary.forwarded > cases / 10, 'a share of the cases reached an upstream')
  t.same(summary.failure, undefined, `seed ${seed}`)
})
