/**
 * `node dist/bench/decisions.js [seconds] [rounds]`: a user-JWT route three ways, side by
 * side: gatehouse proxying, nginx asking the decision API (auth_request), and the same with
 * nginx's proxy_cache on the auth location (decisionsCacheTtl: 30s); the echo upstream alone
 * as the ceiling. nginx runs the recipe of docs/decisions.md, as the tests do. Needs wrk and
 * nginx. Rounds alternate the targets (A B C D A B C D …): on a shared machine two
 * back-to-back runs of one target compare two moments, not two targets.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startTestGateway } from '../test/helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml, nginxRecipe } from '../test/helpers/decision-api.js'
import { startNginx } from '../test/helpers/nginx.js'
import { freePort } from '../test/helpers/ports.js'
import { startEcho } from '../test/helpers/upstream.js'
import { userToken } from '../test/helpers/user-token.js'

const run = promisify(execFile)
const SECONDS = Number(process.argv[2] ?? '6')
const ROUNDS = Number(process.argv[3] ?? '2')
const stops: Array<() => unknown> = []
const t = { teardown: (fn: () => unknown) => { stops.push(fn) } }

async function wrk (url: string, token: string): Promise<{ rps: number, latency: string, non2xx: number }> {
  const { stdout } = await run('wrk', ['-t2', '-c32', `-d${SECONDS}s`, '-H', `Authorization: Bearer ${token}`, url])
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]),
    latency: /Latency\s+(\S+)/.exec(stdout)?.[1] ?? '?',
    non2xx: Number(/Non-2xx[^:]*:\s+(\d+)/.exec(stdout)?.[1] ?? '0')
  }
}

try {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, decisionsYaml(upstream, '  decisionsCacheTtl: 30s\n'))
  const decisions = (gw.decisionsUrl as string).slice('http://'.length)
  const plainPort = await freePort()
  const plain = await startNginx(t, plainPort, nginxRecipe({ port: plainPort, decisions, upstream, token: DECISIONS_TOKEN }))
  const cachedPort = await freePort()
  const cached = await startNginx(t, cachedPort, nginxRecipe({ port: cachedPort, decisions, upstream, token: DECISIONS_TOKEN, cache: true }))
  const token = await userToken('alice')
  const targets: Array<[string, string]> = [
    ['gatehouse proxying', `${gw.url}/user/me`],
    ['nginx + decision API', `${plain.url}/user/me`],
    ['nginx + decision API + proxy_cache', `${cached.url}/user/me`],
    ['upstream alone', `${upstream}/user/me`]
  ]
  const results = new Map<string, number[]>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of targets) {
      const r = await wrk(url, token)
      if (r.non2xx > 0) throw new Error(`${name}: ${r.non2xx} answers were not 2xx`)
      results.set(name, [...results.get(name) ?? [], r.rps])
      console.log(`round ${round + 1} ${name}: ${r.rps.toFixed(0)} req/s, mean latency ${r.latency}`)
    }
  }
  for (const [name, rps] of results) console.log(`median ${name}: ${[...rps].sort((a, b) => a - b)[Math.floor((rps.length - 1) / 2)]?.toFixed(0) ?? '?'} req/s`)
} finally {
  for (const stop of stops.reverse()) await stop()
}
