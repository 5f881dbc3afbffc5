import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { startTestGateway, tempDir } from '../helpers/gateway.js'
import { makeKey, sign, startJwksServer } from '../helpers/jwt.js'
import { startAuthServer } from '../helpers/oauth-server.js'
import { logIn, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'
import { makePki } from '../helpers/certs.js'
import { freePort } from '../helpers/ports.js'
import { startRedis } from '../helpers/redis.js'
import { usersFile } from '../helpers/basic-users.js'
import { fetchToken, jwksFile, signingKey } from '../helpers/tokens.js'
import { CLI, nodeCommand } from '../helpers/paths.js'
import { header, problemCode, type RawMessage } from '../helpers/raw-http.js'
import { OPENSSL, requires } from '../helpers/requires.js'
import {
  CLIENT_SECRET, generatedCases, knownCases, parityConfig, sendCase, startRecordingUpstream,
  type CertName, type ParityCase, type Received
} from '../helpers/parity-corpus.js'
import type { Explanation } from '../../src/explain/explain.js'

const skip = requires(OPENSSL)

/** Generated cases besides the fixed ones, and the seed that makes them the same every run. */
const GENERATED = 2000
const SEED = 230023
/** Requests in flight at once at the gateways. */
const CONCURRENCY = 8

type Answer = Explanation & { id?: string, error?: string }

/** Starts `gatehouse explain --json --requests -` and feeds it every line; the answers by id once it ends. */
function explainBatch (config: string, lines: string[], children: ChildProcess[]): Promise<Map<string, Answer>> {
  const child = spawn(...nodeCommand([CLI, 'explain', '-c', config, '--json', '--requests', '-']), { stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(child)
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const answers = new Map<string, Answer>()
  const read = createInterface({ input: child.stdout, crlfDelay: Infinity })
  read.on('line', line => {
    const answer = JSON.parse(line) as Answer
    answers.set(String(answer.id), answer)
  })
  child.stdin.end(lines.join('\n') + '\n')
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', code => {
      if (code !== 0 && code !== 2) reject(new Error(`explain --requests exited ${String(code)}: ${stderr}`))
      else resolve(answers)
    })
  })
}

/** The paths at which two JSON values differ, with both values. */
function changed (a: unknown, b: unknown, at = ''): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`]
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].flatMap(k => changed((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`))
}

async function runCli (args: string[], children: ChildProcess[]): Promise<{ status: number | null, stdout: string }> {
  const child = spawn(...nodeCommand(args), { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.resume()
  const status = await new Promise<number | null>(resolve => child.once('close', resolve))
  return { status, stdout }
}

/** The request line explain reads for a case: the same method, target, header lines and connection. */
function requestLine (c: ParityCase, certs: Record<CertName, { cert: string }>): string {
  const tls = c.cert === undefined ? c.tls : { cert: certs[c.cert].cert }
  return JSON.stringify({ id: c.id, method: c.method, target: c.target, headers: c.headers, peer: '127.0.0.1', tls })
}

/**
 * Values that differ per request by design, present on both sides: the request id and trace,
 * and the WebSocket key (the relay makes its own handshake with the upstream).
 */
const PER_REQUEST = new Set(['x-request-id', 'traceparent', 'sec-websocket-key'])
/** What the HTTP client (undici) or the WebSocket relay adds on the way to the upstream, outside the decision. */
const TRANSPORT = new Set(['connection', 'keep-alive', 'sec-websocket-key', 'sec-websocket-extensions', 'content-length', 'upgrade', 'sec-websocket-version'])

function problemOf (res: RawMessage): { code?: string, detail?: string } | undefined {
  if (!/problem\+json/.test(header(res, 'content-type') ?? '')) return undefined
  try {
    return JSON.parse(res.body.toString()) as { code?: string, detail?: string }
  } catch {
    return undefined
  }
}

const cookieNames = (value: string): string => value.split(';').map(p => p.split('=')[0]?.trim()).join('; ')

/** Every way the gateway's answer and what the upstream received differ from the explanation. */
function differences (method: string, e: Answer | undefined, res: RawMessage, got: Received | undefined): string[] {
  if (e === undefined) return ['explain gave no answer']
  if (e.error !== undefined) return [`explain refused the line: ${e.error}`]
  const d = e.decision
  const diffs: string[] = []
  // A HEAD answer has no body: its status says it all.
  const head = method === 'HEAD'
  const body = head ? undefined : problemOf(res)
  const said = `explain ${d.outcome} ${String(d.status ?? '')} ${d.problem?.code ?? ''} (${d.problem?.detail ?? d.reason}); ` +
    `gateway ${res.status} ${body?.code ?? ''} (${body?.detail ?? ''})${got === undefined ? '' : ' forwarded'}`
  switch (d.outcome) {
    case 'allow': {
      const up = e.upstream
      const status = up?.webSocket === true ? 101 : 200
      if (got === undefined || res.status !== status) return [`decision: ${said}`]
      if (got.url !== up?.path) diffs.push(`upstream path: explain ${String(up?.path)}, upstream got ${got.url}`)
      const told = new Map<string, string[]>()
      for (const [n, v] of got.headers) told.set(n, [...(told.get(n) ?? []), v])
      for (const [n, v] of up?.headers ?? []) {
        const values = told.get(n)
        if (values === undefined) { diffs.push(`header ${n}: explain forwards ${JSON.stringify(v)}, the upstream got none`); continue }
        if (values.length !== 1) { diffs.push(`header ${n}: the upstream got ${values.length} lines`); continue }
        const value = values[0] as string
        if (PER_REQUEST.has(n) || v === '<redacted>') continue
        const same = n === 'cookie' ? cookieNames(value) === cookieNames(v) : value === v
        if (!same) diffs.push(`header ${n}: explain ${JSON.stringify(v)}, upstream got ${JSON.stringify(value)}`)
      }
      const explained = new Set((up?.headers ?? []).map(([n]) => n))
      for (const [n, v] of got.headers) {
        if (!explained.has(n) && !TRANSPORT.has(n)) diffs.push(`header ${n}: the upstream got ${JSON.stringify(v)}, explain does not forward it`)
      }
      for (const [n, v] of e.identity?.set ?? []) if (told.get(n)?.[0] !== v) diffs.push(`identity ${n}: explain ${v}, upstream got ${String(told.get(n))}`)
      return diffs
    }
    case 'deny':
    case 'preflight':
      if (got !== undefined || res.status !== d.status || (!head && body?.code !== d.problem?.code)) diffs.push(`decision: ${said}`)
      return diffs
    case 'login':
      // The provider's authorization endpoint (oidc-provider serves it at /auth).
      if (got !== undefined || res.status !== 302 || !(header(res, 'location') ?? '').includes('/auth?')) {
        diffs.push(`decision: ${said} location ${String(header(res, 'location'))}`)
      }
      return diffs
    case 'endpoint':
      if (got !== undefined || res.status === 404) diffs.push(`decision: ${said}`)
      return diffs
  }
}

t.test('explain --requests answers what the running gateway does, on a generated corpus', { skip }, async t => {
  const started = Date.now()
  const pki = makePki(t)
  const redis = await startRedis(t)
  const upstream = await startRecordingUpstream(t)
  const key = await makeKey('ES256', 'k1')
  const impostor = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const as = await startAuthServer(t)
  const ports = { plain: await freePort(), tls: await freePort() }
  const hosts = { plain: `127.0.0.1:${ports.plain}`, tls: `127.0.0.1:${ports.tls}` }
  const op = await startOidcProvider(t, { origins: [`http://${hosts.plain}`, `https://${hosts.tls}`] })
  const files = { 'keys.json': jwksFile(await signingKey()), 'users.txt': await usersFile() }
  const parts = {
    redis: redis.url,
    upstream: upstream.url,
    jwksUri: jwks.url,
    introspectionEndpoint: as.introspectionEndpoint,
    oidcIssuer: op.url,
    certificateSubject: 'CN=android, O=Acme'
  }
  const yaml = {
    plain: await parityConfig({ ...parts, port: ports.plain, tls: undefined }),
    tls: await parityConfig({ ...parts, port: ports.tls, tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca } })
  }
  // explain reads its own copy of each config, as a CI step would.
  const dir = tempDir(t, { ...files, 'plain.yaml': yaml.plain, 'tls.yaml': yaml.tls })
  await startTestGateway(t, yaml.plain, { files })
  await startTestGateway(t, yaml.tls, { files })

  const now = Math.floor(Date.now() / 1000)
  const creds = {
    jwt: {
      valid: await sign(key, { scope: 'orders:read', email: 'alice@example.com' }),
      noScope: await sign(key, { sub: 'bob' }),
      admin: await sign(key, { sub: 'root', role: 'admin', scope: 'orders:read' }),
      expired: await sign(key, { iat: now - 700, exp: now - 60 }),
      forged: await sign(impostor, { scope: 'orders:read' }),
      otherAudience: await sign(key, { aud: 'another-api', scope: 'orders:read' })
    },
    opaque: { valid: await as.mint({ sub: 'dave', scope: 'orders:read' }), noScope: await as.mint({ sub: 'erin', scope: 'orders:write' }) },
    clientToken: await fetchToken(`http://${hosts.plain}`, 'android', CLIENT_SECRET),
    sid: (await logIn(new ScriptedBrowser(), `http://${hosts.plain}`, '/app/', 'alice')).sid
  }
  const options = { generated: GENERATED, seed: SEED, creds, hosts }
  const known = knownCases(options)
  const cases = [...known, ...generatedCases(options)]
  const certs = { android: pki.client('android'), stranger: pki.client('stranger'), rogue: pki.client('rogue') }
  const setup = Date.now()

  const children: ChildProcess[] = []
  t.teardown(() => { for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let explainDone = 0
  const explained = Promise.all((['plain', 'tls'] as const).map(async side => {
    const answers = await explainBatch(join(dir, `${side}.yaml`), cases.filter(c => c.tls === (side === 'tls')).map(c => requestLine(c, certs)), children)
    explainDone = Math.max(explainDone, Date.now())
    return answers
  }))

  // A few at a time; a Basic login only one at a time, as a browser would: two checks of one
  // name at once are refused (the password slots), which is about timing, not the decision.
  const wire = { ca: readFileSync(pki.ca, 'utf8'), certs, ports }
  const answers = new Map<string, RawMessage>()
  const queue = [...cases]
  let basicLane = Promise.resolve()
  const worker = async (): Promise<void> => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      const one = c
      if (!one.headers.some(([n, v]) => n === 'Authorization' && /^basic /i.test(v))) {
        answers.set(one.id, await sendCase(one, wire))
        continue
      }
      const turn = basicLane.then(async () => { answers.set(one.id, await sendCase(one, wire)) })
      basicLane = turn.catch(() => {})
      await turn
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const sent = Date.now()
  const [plainAnswers, tlsAnswers] = await explained
  const explainedAll = Date.now()

  const diffs: string[] = []
  const spread = new Map<string, number>()
  for (const c of cases) {
    for (const kind of c.kinds) spread.set(kind, (spread.get(kind) ?? 0) + 1)
    const e = (c.tls ? tlsAnswers : plainAnswers)?.get(c.id)
    for (const d of differences(c.method, e, answers.get(c.id) as RawMessage, upstream.received.get(c.id))) {
      diffs.push(`${c.id} ${c.method} ${c.target.slice(0, 80)} [${c.kinds.join(' ')}]: ${d}`)
    }
  }
  t.ok(cases.length >= 2000, `${cases.length} cases`)
  for (const d of diffs.slice(0, 40)) t.comment(d)
  t.equal(diffs.length, 0, `explain and the gateway agree on every case (${diffs.length} differences)`)

  for (const k of known) {
    const res = answers.get(k.id) as RawMessage
    t.equal(res.status, k.expect.status, `${k.why}: ${k.expect.status} (${res.body.toString().slice(0, 200)})`)
    if (k.expect.code !== undefined) t.equal(problemCode(res.body), k.expect.code, `${k.why}: ${k.expect.code}`)
  }
  const seen = (id: string): Received | undefined => upstream.received.get(id)
  t.equal(seen('known7')?.headers.find(([n]) => n === 'cookie')?.[1], 'theme=dark', 'the session cookie stays at the gateway')
  t.equal(seen('known8')?.headers.find(([n]) => n === 'remote-client')?.[1], 'android', 'the certificate is the client')
  t.equal(seen('known8')?.headers.find(([n]) => n === 'x-forwarded-proto')?.[1], 'https')

  // A few single invocations, as a CI step runs explain: the same answer as the batch's.
  await Promise.all((['known1', 'known2', 'known8'] as const).map(async id => {
    const c = cases.find(k => k.id === id) as ParityCase
    const cert = c.cert === undefined ? [] : ['--cert', join(pki.dir, `${c.cert}.crt`)]
    const args = [CLI, 'explain', '-c', join(dir, `${c.tls ? 'tls' : 'plain'}.yaml`), '--json', ...cert,
      c.method, c.target, ...c.headers.flatMap(([n, v]) => ['-H', `${n}: ${v}`])]
    const single = await runCli(args, children)
    const batch = { ...(c.tls ? tlsAnswers : plainAnswers)?.get(id) } as Partial<Answer> & { line?: number }
    delete batch.id
    delete batch.line
    t.equal(single.status, batch.decision?.allowed === true ? 0 : 2, `${id}: explain's exit status`)
    const one = JSON.parse(single.stdout) as Partial<Answer>
    // The trace id is made per request when the client sends none.
    for (const e of [one, batch]) for (const h of e.upstream?.headers ?? []) if (h[0] === 'traceparent') h[1] = '<per request>'
    t.same(changed(one, batch), [], `${id}: one invocation answers as the batch did`)
  }))

  const outcomes = new Map<string, number>()
  for (const c of cases) {
    const e = (c.tls ? tlsAnswers : plainAnswers)?.get(c.id)
    const o = e?.decision.outcome ?? 'none'
    outcomes.set(o, (outcomes.get(o) ?? 0) + 1)
  }
  t.comment(`cases ${cases.length}: outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`)
  t.comment(`spread: ${JSON.stringify(Object.fromEntries([...spread].sort()))}`)
  t.comment(`wall: setup ${setup - started} ms, the gateways ${sent - setup} ms, explain --requests ${explainDone - setup} ms, ` +
    `all ${explainedAll - started} ms`)
})
