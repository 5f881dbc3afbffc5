import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/load-config.js'
import { createGateway } from '../src/gateway.js'
import { createLogger } from '../src/logger.js'
import { systemClock } from '../src/clock.js'
import type { Gateway } from '../src/gateway.js'
import type { TlsFacts } from '../src/decision/request.js'
import { certificatesOf, clientCertificateFacts } from '../src/explain/client-certificate.js'
import { explainRequest, type AuthenticatorSummary, type Explanation, type FoundPrincipal } from '../src/explain/explain.js'

export const EXPLAIN_USAGE = 'usage: gatehouse explain [-c gateway.config.yaml] [--json] [--peer ADDR] [--tls] [--cert FILE] ' +
  'METHOD PATH [-H \'Name: value\']…\n' +
  '       gatehouse explain [-c gateway.config.yaml] [--json] [--peer ADDR] [--tls] --requests FILE|-   (one request per line, as JSON)\n'

export interface ExplainIo {
  stdout: { write: (s: string) => unknown }
  stderr: { write: (s: string) => unknown }
  env: NodeJS.ProcessEnv
  /** Where `--requests -` reads from. */
  stdin?: Readable | undefined
}

/** The -H lines as raw header lines: repeated ones are joined later exactly as the listener's Node joins them. */
function rawHeaders (lines: string[]): string[] | string {
  const raw: string[] = []
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) return `not a header: "${line}" (write -H 'Name: value')`
    raw.push(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  return raw
}

const ms = (n: number): string => n % 3_600_000 === 0 ? `${n / 3_600_000}h` : n % 60_000 === 0 ? `${n / 60_000}m` : n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`

function authLines (label: string, list: AuthenticatorSummary[]): string[] {
  if (list.length === 0) return [`  ${label}: none`]
  return [`  ${label}:`, ...list.map((a, i) => {
    const settings = Object.entries(a.settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')
    return `    ${i + 1}. ${a.name} (${a.type}) reads ${a.reads.join(', ') || 'nothing'}${settings === '' ? '' : `; ${settings}`}`
  })]
}

function foundLine (p: FoundPrincipal): string {
  const claims = Object.entries(p.claims ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')
  return `${p.id} (authenticator ${p.authenticator}) scopes: ${p.scopes.join(' ') || 'none'}${claims === '' ? '' : `; claims: ${claims}`}`
}

/** The explanation as an operator reads it: top to bottom in the order the gateway works. */
export function renderExplanation (e: Explanation): string {
  const lines: string[] = [`${e.request.method} ${e.request.url}`]
  if (e.tokenEndpoint !== undefined) lines.push(`route:   the gateway's token endpoint ${e.tokenEndpoint}`)
  else if (e.route !== undefined) {
    const params = Object.entries(e.route.params).map(([k, v]) => `${k}=${v ?? ''}`).join(' ')
    lines.push(
      `route:   routes[${e.route.index}] ${e.route.match} [${e.route.methods.join(', ')}] -> ${e.route.upstream} ` +
        `(${e.route.upstreamUrl})${params === '' ? '' : `  params: ${params}`}${e.route.websocket ? '  websocket' : ''}`
    )
  } else if (e.target !== undefined) lines.push('route:   none')
  for (const n of e.nearMatches) lines.push(`  near:  routes[${n.route}] ${n.match} [${n.methods.join(', ')}]: ${n.why}`)
  if (e.cors !== undefined) {
    const c = e.cors
    lines.push(`cors:    ${c.preflight ? 'preflight' : 'request'} from ${c.origin ?? 'no Origin'}: ${c.allowed ? 'allowed' : 'not allowed'}`)
    for (const [n, v] of c.headers) lines.push(`  ${n}: ${v}`)
  }
  if (e.policy !== undefined) lines.push(`policy:  ${e.policy}`)
  if (e.authenticators !== undefined) {
    lines.push('authenticators, in order:', ...authLines('client', e.authenticators.client), ...authLines('user', e.authenticators.user))
  }
  if (e.checks !== undefined) {
    const c = e.checks
    lines.push('checks:')
    lines.push(`  clients: ${c.clients === undefined ? 'any' : c.clients.join(', ')}`)
    lines.push(`  bindUserToClient: ${String(c.bindUserToClient)}`)
    lines.push(`  scopes: ${c.scopes.length === 0 ? 'none' : c.scopes.join(' ')}`)
    const claims = Object.entries(c.claims)
    lines.push(`  claims: ${claims.length === 0 ? 'none' : claims.map(([k, v]) => `${k} in ${JSON.stringify(v)}`).join(', ')}`)
  }
  if (e.route !== undefined) {
    const r = e.rateLimit
    lines.push(
      r === undefined
        ? 'rate limit: none'
        : `rate limit: ${r.max} per ${ms(r.windowMs)}${r.clientTier ? " (the client's own tier)" : ''} ` +
          `by ${r.by}, key "${r.key}", Redis down: ${r.onRedisError} (explain counts nothing)`
    )
  }
  if (e.credentials !== undefined) {
    const consumed = [...e.credentials.headers.map(h => `header ${h}`), ...e.credentials.query.map(q => `query ${q}`)]
    lines.push(
      e.credentials.forwarded
        ? 'credentials: forwarded upstream (forwardCredentials: true)'
        : `credentials removed before forwarding: ${consumed.join(', ') || 'none'}`
    )
  }
  if (e.identity !== undefined) {
    const h = e.identity.headers
    const claims = Object.entries(h.claims).map(([c, n]) => `${n} (claim ${c})`)
    lines.push(
      'identity headers: ' +
        `${[h.user, h.client, h.scopes, h.auth, ...claims, ...(h.assertion === undefined ? [] : [`${h.assertion} (signed assertion)`])].join(', ')}`
    )
    if (e.identity.set !== undefined) for (const [n, v] of e.identity.set) lines.push(`  set ${n}: ${v}`)
  }
  if (e.upstream !== undefined) {
    const rewritten = e.upstream.judgedPath === undefined ? '' : `  (rewritten from ${e.upstream.judgedPath})`
    lines.push(`upstream request: ${e.request.method} ${e.upstream.path}${rewritten}${e.upstream.webSocket ? '  (WebSocket handshake)' : ''}`)
    for (const [n, v] of e.upstream.headers) lines.push(`  ${n}: ${v}`)
    for (const d of e.upstream.dropped) lines.push(`  dropped ${d.header}: ${d.why}`)
  }
  if (e.found?.client !== undefined) lines.push(`found client: ${foundLine(e.found.client)}`)
  if (e.found?.user !== undefined) lines.push(`found user:   ${foundLine(e.found.user)}`)
  const d = e.decision
  const verdict = d.outcome === 'login' ? 'LOGIN' : d.allowed ? 'ALLOW' : 'DENY'
  lines.push(`decision: ${verdict} at ${d.stage}: ${d.reason}`)
  const api = e.decisionApi
  if (api !== undefined) lines.push(`decision API: nginx ${api.nginx}, traefik ${api.traefik}, envoy ${api.envoy} (Cache-Control: ${api.cacheControl})`)
  if (d.problem !== undefined) {
    for (const [n, v] of d.responseHeaders ?? []) lines.push(`  ${n}: ${v}`)
    lines.push(`  ${JSON.stringify(d.problem)}`)
  }
  return `${lines.join('\n')}\n`
}

/** The connection's TLS as the listener would see it: a client certificate judged against `server.tls.clientCa`. */
async function tlsOf (gateway: Gateway, tls: boolean, certPem: string | undefined): Promise<TlsFacts> {
  if (certPem === undefined) return { encrypted: tls, authorized: false }
  const ca = gateway.config.server.tls?.clientCa
  const cas = ca === undefined ? [] : certificatesOf(await readFile(ca, 'utf8'))
  return clientCertificateFacts(certPem, cas, gateway.clock())
}

/** One line of `--requests`: a request as plain data. */
interface RequestLine {
  id?: unknown
  method: string
  target: string
  headers: string[]
  peer: string | undefined
  tls: boolean | undefined
  cert: string | undefined
}

const isString = (v: unknown): v is string => typeof v === 'string'

/**
 * `{"method":"GET","target":"/x","headers":[["Name","value"],…],"peer":"10.0.0.7","tls":{"cert":"-----BEGIN…"},"id":7}`;
 * headers may also be an object (a list value repeats the header), `tls` true for TLS without a certificate.
 */
function requestLine (text: string): RequestLine | string {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    return `not JSON: ${(err as Error).message}`
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return 'a request is a JSON object: {"method":"GET","target":"/path","headers":[["Name","value"]]}'
  }
  const r = v as Record<string, unknown>
  if (!isString(r.method) || r.method === '') return 'method: a string is required'
  if (!isString(r.target)) return 'target: a string is required (the path and query as sent)'
  const headers: string[] = []
  const entries = Array.isArray(r.headers)
    ? r.headers
    : r.headers === undefined ? [] : typeof r.headers === 'object' && r.headers !== null ? Object.entries(r.headers) : undefined
  if (entries === undefined) return 'headers: a list of [name, value] pairs, or an object'
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2 || !isString(entry[0])) return `headers: ${JSON.stringify(entry)} is not a [name, value] pair`
    const values: unknown[] = Array.isArray(entry[1]) ? entry[1] : [entry[1]]
    for (const value of values) {
      if (!isString(value)) return `headers: the value of ${entry[0]} is not a string`
      headers.push(entry[0], value)
    }
  }
  if (r.peer !== undefined && !isString(r.peer)) return 'peer: an address string'
  let tls: boolean | undefined
  let cert: string | undefined
  if (typeof r.tls === 'boolean') tls = r.tls
  else if (typeof r.tls === 'object' && r.tls !== null && isString((r.tls as { cert?: unknown }).cert)) {
    tls = true
    cert = (r.tls as { cert: string }).cert
  } else if (r.tls !== undefined) return 'tls: true, false, or {"cert": "<PEM of the client certificate>"}'
  return { id: r.id, method: r.method, target: r.target, headers, peer: r.peer, tls, cert }
}

interface Defaults { peer: string, tls: boolean, cert: string | undefined, json: boolean }

/**
 * `--requests FILE|-`: one gateway for many requests, one answer per line in the order
 * given (with `--json` one JSON object, `id` echoed), so a CI step or a test asks
 * thousands without starting a process for each. 1 when a line is not a request, else 2
 * when one is refused, else 0.
 */
async function explainLines (gateway: Gateway, input: Readable, defaults: Defaults, io: ExplainIo): Promise<number> {
  let status = 0
  let n = 0
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    n++
    if (text.trim() === '') continue
    const line = requestLine(text)
    if (typeof line === 'string') {
      status = 1
      if (defaults.json) io.stdout.write(`${JSON.stringify({ line: n, error: line })}\n`)
      io.stderr.write(`gatehouse explain: line ${n}: ${line}\n`)
      continue
    }
    let explanation: Explanation
    try {
      const tls = await tlsOf(gateway, line.tls ?? defaults.tls, line.cert ?? defaults.cert)
      explanation = await explainRequest(gateway, { method: line.method, url: line.target, rawHeaders: line.headers, ip: line.peer ?? defaults.peer, tls })
    } catch (err) {
      status = 1
      if (defaults.json) io.stdout.write(`${JSON.stringify({ line: n, id: line.id, error: (err as Error).message })}\n`)
      io.stderr.write(`gatehouse explain: line ${n}: ${(err as Error).message}\n`)
      continue
    }
    if (!explanation.decision.allowed && status === 0) status = 2
    io.stdout.write(defaults.json ? `${JSON.stringify({ line: n, id: line.id, ...explanation })}\n` : `${n > 1 ? '\n' : ''}${renderExplanation(explanation)}`)
  }
  return status
}

/**
 * `gatehouse explain`: 0 when the request would be let through, 2 when refused, 1 for a
 * usage or config error, so a CI step can assert a policy before it ships.
 */
export async function explainCommand (args: string[], io: ExplainIo): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        header: { type: 'string', short: 'H', multiple: true },
        json: { type: 'boolean' },
        ip: { type: 'string' },
        peer: { type: 'string' },
        tls: { type: 'boolean' },
        cert: { type: 'string' },
        requests: { type: 'string' }
      },
      allowPositionals: true
    })
  } catch (err) {
    io.stderr.write(`gatehouse explain: ${(err as Error).message}\n${EXPLAIN_USAGE}`)
    return 1
  }
  const { values, positionals } = parsed
  const batch = values.requests
  if (batch === undefined ? positionals.length !== 2 : positionals.length !== 0 || values.header !== undefined) {
    io.stderr.write(EXPLAIN_USAGE)
    return 1
  }
  const raw = rawHeaders(values.header ?? [])
  if (typeof raw === 'string') {
    io.stderr.write(`gatehouse explain: ${raw}\n`)
    return 1
  }
  const cert = values.cert === undefined ? undefined : await readFile(values.cert, 'utf8')
  const config = await loadConfig(values.config ?? io.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml', io.env)
  // Only failures reach stderr: the explanation is the output.
  const gateway = await createGateway(config, createLogger('error', [], process.stderr), { clock: systemClock })
  try {
    // --peer is the direct peer (a proxy, when X-Forwarded-For is sent and trusted); --ip its older name.
    const peer = values.peer ?? values.ip ?? '127.0.0.1'
    const defaults: Defaults = { peer, tls: values.tls === true || cert !== undefined, cert, json: values.json === true }
    if (batch !== undefined) return await explainLines(gateway, batch === '-' ? io.stdin ?? process.stdin : createReadStream(batch), defaults, io)
    const [method, url] = positionals as [string, string]
    const tls = await tlsOf(gateway, defaults.tls, cert)
    const explanation = await explainRequest(gateway, { method, url, rawHeaders: raw, ip: defaults.peer, tls })
    io.stdout.write(defaults.json ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation))
    return explanation.decision.allowed ? 0 : 2
  } finally {
    await gateway.close()
  }
}
