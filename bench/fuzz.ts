/**
 * `npm run fuzz -- --cases N [--seed S] [--parallel P] [--replay I] [--keep-going] [--minutes M]`:
 * generated raw HTTP/1.1 exchanges against a gateway started in this process
 * (test/helpers/fuzz.ts holds the generators and the oracle). Prints the seed first; case I of a
 * run replays alone (and shrinks) with `--seed S --replay I`. `--minutes`: no case is started
 * after that long (a long run bounded in time); what ran is reported.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { fuzz, startFuzzRig } from '../test/helpers/fuzz.js'

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    parallel: { type: 'string', default: '16' },
    replay: { type: 'string' },
    minutes: { type: 'string' },
    'keep-going': { type: 'boolean', default: false }
  }
})
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
const cases = Number(values.cases)
const parallel = Number(values.parallel)
const replay = values.replay === undefined ? undefined : Number(values.replay)
const what = replay === undefined ? `${cases} cases` : `case ${replay} alone`
console.log(`fuzz: seed ${seed}, ${what}, ${parallel} in parallel (replay case I: npm run fuzz -- --seed ${seed} --replay I)`)

const teardowns: Array<() => unknown> = []
const rig = await startFuzzRig({ teardown: fn => teardowns.push(fn) })
const started = Date.now()
const load0 = loadavg()[0]
const summary = await fuzz(rig, {
  cases,
  seed,
  parallel,
  replay,
  keepGoing: values['keep-going'],
  deadline: values.minutes === undefined ? undefined : started + Number(values.minutes) * 60_000,
  onProgress: (done, byProperty, known) => {
    const s = (Date.now() - started) / 1000
    console.log(
      `${done} cases, ${s.toFixed(0)} s, ${(done / s).toFixed(0)} cases/s, load ${loadavg()[0].toFixed(2)}, known ${known}, found ${JSON.stringify(byProperty)}`
    )
  }
})
for (const fn of teardowns.reverse()) await fn()
console.log(JSON.stringify({ seed, ...summary, rate: Math.round(summary.cases / summary.seconds), loadStart: load0, loadEnd: loadavg()[0] }, null, 1))
process.exitCode = summary.failure === undefined ? 0 : 1
