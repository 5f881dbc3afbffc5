/**
 * `npm run bench:instructions [-- --requests 3000 --compare OTHER_DIST]`: instructions per
 * request, counted by valgrind's callgrind, of the reference forwarder and gatehouse (and of
 * another build's gatehouse with `--compare`), on a public route and on the RS256 route with
 * a token already verified. CPU time on a shared machine moves by ±20 % between runs; an
 * instruction count does not move with the machine's load, only with how far V8 has optimized
 * (a few per cent between runs, bench/README.md), so a change to the request path is judged
 * here first, and in `npm run bench` (CPU time) after.
 *
 * Each server runs under callgrind with counting off; after `--warmup` requests (JIT-compiled
 * as in production) counting is switched on for `--requests` more, then dumped. What is
 * counted is the main thread's user-space work (the event loop: its JavaScript, V8, Node,
 * OpenSSL), not V8's background compiler and GC helpers, whose share of a window varies from
 * run to run, nor the kernel's: system calls are the same for every target (bench/README.md).
 * Valgrind hides SHA-NI, so a sha256 counts as its AVX2 code (~18,000 instructions for a
 * 700-byte token).
 *
 * With `--workers N`, also gatehouse with `server.workers: N`: every worker counted, its
 * share of the warm-up as large as one process's whole warm-up. It shows whether a worker
 * does more per request than one process (issue 24's `workers: auto`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Agent, request } from 'undici'
import { newApiKey } from '../cli/keys.js'
import { gatewayYaml } from './gateway.js'
import { childrenOf, DIST, freePort, onPath, runHeader, START_FLAGS, startUpstream, stopAll, waitForHttp } from './procs.js'
import { JWT_AUDIENCE, JWT_ISSUER, rsaIssuer } from './tokens.js'

const { values: opt } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '20000' },
    compare: { type: 'string' },
    workers: { type: 'string' }
  }
})
const REQUESTS = Number(opt.requests)
const WARMUP = Number(opt.warmup)
const CONNECTIONS = 4

interface Counted {
  name: string
  child: ChildProcess
  url: string
  /** callgrind's output file for each process, `%p` standing for its pid. */
  out: string
  /** The processes that serve: the one started, or a cluster primary's workers. */
  pids: () => number[]
}

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-instructions-'))
const servers: ChildProcess[] = []

/** A server under callgrind, counting nothing until told to; with `cluster`, its workers too, each to its own file. */
async function underCallgrind (name: string, url: string, args: string[], cluster = false): Promise<Counted> {
  const out = join(dir, `${name.replace(/\W+/g, '-')}.%p.callgrind`)
  const callgrind = [
    '--tool=callgrind', '--separate-threads=yes', '--instr-atstart=no', `--callgrind-out-file=${out}`, `--trace-children=${cluster ? 'yes' : 'no'}`
  ]
  const child = spawn('valgrind', [...callgrind, process.execPath, ...args], { stdio: 'ignore' })
  servers.push(child)
  const pids = (): number[] => cluster ? childrenOf(child.pid as number) : [child.pid as number]
  await waitForHttp(`${url}/public/x`, {}, { name, child, pids: () => [] })
  return { name, child, url, out, pids }
}

function callgrindControl (target: Counted, ...args: string[]): void {
  for (const pid of target.pids()) {
    const r = spawnSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore' })
    if (r.status !== 0) throw new Error(`callgrind_control ${args.join(' ')} failed for ${target.name} (pid ${pid})`)
  }
}

/** About `n` requests over `connections` kept-alive connections, each answered 200; returns how many. */
async function send (agent: Agent, connections: number, url: string, headers: Record<string, string>, n: number): Promise<number> {
  const one = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const r = await request(url, { headers, dispatcher: agent })
      await r.body.dump()
      if (r.statusCode !== 200) throw new Error(`${url} answered ${r.statusCode}`)
    }
  }
  const each = Math.ceil(n / connections)
  await Promise.all(Array.from({ length: connections }, async () => { await one(each) }))
  return each * connections
}

/**
 * The main thread's instructions in the dump callgrind wrote last, summed over the serving
 * processes (each dump holds what was counted since the one before; `--separate-threads`
 * names each thread's file `.PART-THREAD`).
 */
function lastDump (target: Counted): number {
  let sum = 0
  for (const pid of target.pids()) {
    const file = target.out.replace('%p', String(pid))
    const base = file.split('/').pop() as string
    const parts = readdirSync(dir).filter(f => f.startsWith(`${base}.`) && f.endsWith('-01')).map(f => Number(f.slice(base.length + 1, -3)))
    const text = readFileSync(`${file}.${Math.max(...parts)}-01`, 'utf8')
    const totals = /^totals: (\d+)/m.exec(text)
    if (totals === null) throw new Error(`no totals in ${target.name}'s callgrind dump (pid ${pid})`)
    sum += Number(totals[1])
  }
  return sum
}

async function count (target: Counted, path: string, headers: Record<string, string>): Promise<number> {
  // Each process gets the connections and the warm-up one process gets (node:cluster hands connections out in turn).
  const processes = target.pids().length
  const connections = CONNECTIONS * processes
  const agent = new Agent({ connections })
  const url = `${target.url}${path}`
  await send(agent, connections, url, headers, WARMUP * processes)
  callgrindControl(target, '--instr=on')
  const sent = await send(agent, connections, url, headers, REQUESTS)
  callgrindControl(target, '--instr=off')
  callgrindControl(target, '--dump')
  await agent.close()
  return lastDump(target) / sent
}

async function main (): Promise<void> {
  console.log([
    ...runHeader('instructions.js'),
    `node ${process.version}; callgrind instructions per request, ${REQUESTS} counted requests after ${WARMUP} uncounted per serving process, ` +
      `${CONNECTIONS} kept-alive connections per serving process`
  ].join('\n'))
  if (!onPath('valgrind') || !onPath('callgrind_control')) {
    console.log('valgrind is not installed (apt-get install valgrind): nothing to count')
    return
  }
  const { url: upstream } = await startUpstream()
  const issuer = rsaIssuer(dir)
  const token = issuer.mint(1)
  const yaml = gatewayYaml(upstream, 'http://127.0.0.1:9', newApiKey().hash, issuer.publicKeyFile, { logLevel: 'info' })
  const gatehouse = async (name: string, dist: string, workers?: number): Promise<Counted> => {
    const port = await freePort()
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`)
    const server = workers === undefined ? 'listen: 127.0.0.1:0' : `listen: 127.0.0.1:0, workers: ${workers}`
    writeFileSync(file, yaml.replace('listen: 127.0.0.1:0', server.replace(':0', `:${port}`)))
    return await underCallgrind(name, `http://127.0.0.1:${port}`, [...START_FLAGS, join(dist, 'bundle/main.js'), 'start', '-c', file], workers !== undefined)
  }
  const refPort = await freePort()
  const targets = [
    await underCallgrind('reference forwarder', `http://127.0.0.1:${refPort}`, [
      join(DIST, 'bench/reference-forwarder.js'), String(refPort), upstream, issuer.publicKeyFile, JWT_ISSUER, JWT_AUDIENCE
    ]),
    await gatehouse('gatehouse', DIST),
    ...opt.compare === undefined ? [] : [await gatehouse('compared build: gatehouse', join(opt.compare))],
    ...opt.workers === undefined ? [] : [await gatehouse(`gatehouse (workers: ${opt.workers})`, DIST, Number(opt.workers))]
  ]
  const kinds: Array<{ kind: string, path: string, headers: Record<string, string> }> = [
    { kind: 'public', path: '/public/x', headers: {} },
    { kind: 'jwt RS256', path: '/rs256/x', headers: { authorization: `Bearer ${token}` } }
  ]
  const counted = new Map<string, number>()
  for (const target of targets) {
    for (const k of kinds) counted.set(`${target.name} ${k.kind}`, await count(target, k.path, k.headers))
  }
  console.log('\n| target | instructions/request | × reference |\n|---|---:|---:|')
  for (const target of targets) {
    for (const k of kinds) {
      const n = counted.get(`${target.name} ${k.kind}`) as number
      const ratio = n / (counted.get(`reference forwarder ${k.kind}`) as number)
      console.log(`| ${target.name} ${k.kind} | ${Math.round(n).toLocaleString('en')} | ${ratio.toFixed(2)} |`)
    }
  }
}

try {
  await main()
} finally {
  for (const child of servers) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  await stopAll()
}
