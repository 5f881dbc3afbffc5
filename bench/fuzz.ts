/**
 * `npm run fuzz -- --cases N [--seed S] [--parallel P]`: generated raw HTTP/1.1 exchanges
 * against a running gateway (test/helpers/fuzz.ts holds the generators and the oracle). Prints
 * the seed first, so a run (and its shrunk counterexample) replays with `--seed`.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { fuzz, startFuzzRig } from '../test/helpers/fuzz.js'

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    parallel: { type: 'string', default: '4' },
    'keep-going': { type: 'boolean', default: false }
  }
})
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
const cases = Number(values.cases)
const parallel = Number(values.parallel)
console.log(`fuzz: seed ${seed}, ${cases} cases, ${parallel} in parallel (replay: npm run fuzz -- --cases ${cases} --seed ${seed})`)

const teardowns: Array<() => unknown> = []
const rig = await startFuzzRig({ teardown: fn => teardowns.push(fn) })
const started = Date.now()
const load0 = loadavg()[0]
const summary = await fuzz(rig, {
  cases,
  seed,
  parallel,
  keepGoing: values['keep-going'],
  onProgress: (done, byProperty, known) => {
    const s = (Date.now() - started) / 1000
    console.log(
      `${done} cases, ${s.toFixed(0)} s, ${(done / s).toFixed(0)} cases/s, load ${loadavg()[0].toFixed(2)}, known ${known}, found ${JSON.stringify(byProperty)}`
    )
  }
})
for (const fn of teardowns.reverse()) await fn()
console.log(JSON.stringify({ ...summary, rate: Math.round(summary.cases / summary.seconds), loadStart: load0, loadEnd: loadavg()[0] }, null, 1))
process.exitCode = summary.failure === undefined ? 0 : 1
