/**
 * The functions with the most self time in a V8 .cpuprofile (`node --cpu-prof`):
 *   node dist/bench/profile-top.js FILE.cpuprofile [count=30] [skip-seconds=0]
 * `skip-seconds` leaves out the start (module loading, JIT warm-up); shares are of the busy
 * time (idle left out), so the request path's parts read as parts of what a request costs.
 */
import { readFileSync } from 'node:fs'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number } }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

const [file, count = '30', skip = '0'] = process.argv.slice(2)
const profile = JSON.parse(readFileSync(file as string, 'utf8')) as Profile
const byId = new Map(profile.nodes.map(n => [n.id, n]))
const self = new Map<string, number>()
let total = 0
let at = 0
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)?.callFrame
  const dt = profile.timeDeltas[i] ?? 0
  at += dt
  if (frame === undefined || at < Number(skip) * 1e6 || frame.functionName === '(idle)') return
  total += dt
  const where = frame.url === '' ? '' : ` ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')}:${frame.lineNumber + 1}`
  const name = `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${where}`
  self.set(name, (self.get(name) ?? 0) + dt)
})
console.log(`busy ${(total / 1000).toFixed(0)} ms`)
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${(us / total * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`)
}
