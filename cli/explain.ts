import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config/load.js'
import { createGateway } from '../src/gateway.js'
import { createLogger } from '../src/logger.js'
import { explainRequest, type AuthenticatorSummary, type Explanation } from '../src/explain/explain.js'

export const EXPLAIN_USAGE = 'usage: gatehouse explain [-c gateway.config.yaml] [--json] [--ip ADDR] METHOD PATH [-H \'Name: value\']…\n'

export interface ExplainIo {
  stdout: { write: (s: string) => unknown }
  stderr: { write: (s: string) => unknown }
  env: NodeJS.ProcessEnv
}

function parseHeaders (lines: string[]): Record<string, string | string[]> | string {
  const headers: Record<string, string | string[]> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) return `not a header: "${line}" (write -H 'Name: value')`
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    const prior = headers[name]
    // Repeated headers arrive as Node gives them: set-cookie as a list, the others joined.
    headers[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : name === 'set-cookie' ? [prior, value] : `${prior}, ${value}`
  }
  return headers
}

const ms = (n: number): string => n % 3_600_000 === 0 ? `${n / 3_600_000}h` : n % 60_000 === 0 ? `${n / 60_000}m` : n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`

function authLines (label: string, list: AuthenticatorSummary[]): string[] {
  if (list.length === 0) return [`  ${label}: none`]
  return [`  ${label}:`, ...list.map((a, i) => {
    const settings = Object.entries(a.settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')
    return `    ${i + 1}. ${a.name} (${a.type}) reads ${a.reads.join(', ') || 'nothing'}${settings === '' ? '' : `; ${settings}`}`
  })]
}

/** The explanation as an operator reads it: top to bottom in the order the gateway works. */
export function renderExplanation (e: Explanation): string {
  const lines: string[] = [`${e.request.method} ${e.request.url}`]
  if (e.tokenEndpoint !== undefined) lines.push(`route:   the gateway's token endpoint ${e.tokenEndpoint}`)
  else if (e.route !== undefined) {
    const params = Object.entries(e.route.params).map(([k, v]) => `${k}=${v ?? ''}`).join(' ')
    lines.push(`route:   routes[${e.route.index}] ${e.route.match} [${e.route.methods.join(', ')}] -> ${e.route.upstream} (${e.route.upstreamUrl})${params === '' ? '' : `  params: ${params}`}${e.route.websocket ? '  websocket' : ''}`)
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
    lines.push(r === undefined ? 'rate limit: none' : `rate limit: ${r.max} per ${ms(r.windowMs)}${r.clientTier ? ' (the client\'s own tier)' : ''} by ${r.by}, key "${r.key}", Redis down: ${r.onRedisError} (explain counts nothing)`)
  }
  if (e.credentials !== undefined) {
    const consumed = [...e.credentials.headers.map(h => `header ${h}`), ...e.credentials.query.map(q => `query ${q}`)]
    lines.push(e.credentials.forwarded ? 'credentials: forwarded upstream (forwardCredentials: true)' : `credentials removed before forwarding: ${consumed.join(', ') || 'none'}`)
  }
  if (e.identity !== undefined) {
    const h = e.identity.headers
    const claims = Object.entries(h.claims).map(([c, n]) => `${n} (claim ${c})`)
    lines.push(`identity headers: ${[h.user, h.client, h.scopes, h.auth, ...claims, ...(h.assertion === undefined ? [] : [`${h.assertion} (signed assertion)`])].join(', ')}`)
    if (e.identity.set !== undefined) for (const [n, v] of e.identity.set) lines.push(`  set ${n}: ${v}`)
  }
  if (e.upstream !== undefined) {
    lines.push(`upstream request: ${e.request.method} ${e.upstream.path}${e.upstream.judgedPath === undefined ? '' : `  (rewritten from ${e.upstream.judgedPath})`}`)
    for (const [n, v] of e.upstream.headers) lines.push(`  ${n}: ${v}`)
    for (const d of e.upstream.dropped) lines.push(`  dropped ${d.header}: ${d.why}`)
  }
  const d = e.decision
  lines.push(`decision: ${d.allowed ? 'ALLOW' : 'DENY'} at ${d.stage}: ${d.reason}`)
  if (d.problem !== undefined) {
    for (const [n, v] of d.responseHeaders ?? []) lines.push(`  ${n}: ${v}`)
    lines.push(`  ${JSON.stringify(d.problem)}`)
  }
  return `${lines.join('\n')}\n`
}

/**
 * `gatehouse explain`: 0 when the request would be let through, 2 when refused, 1 for a
 * usage or config error, so a CI step can assert a policy before it ships.
 */
export async function explainCommand (args: string[], io: ExplainIo): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, header: { type: 'string', short: 'H', multiple: true }, json: { type: 'boolean' }, ip: { type: 'string' } }, allowPositionals: true })
  } catch (err) {
    io.stderr.write(`gatehouse explain: ${(err as Error).message}\n${EXPLAIN_USAGE}`)
    return 1
  }
  const { values, positionals } = parsed
  if (positionals.length !== 2) {
    io.stderr.write(EXPLAIN_USAGE)
    return 1
  }
  const headers = parseHeaders(values.header ?? [])
  if (typeof headers === 'string') {
    io.stderr.write(`gatehouse explain: ${headers}\n`)
    return 1
  }
  const config = await loadConfig(values.config ?? io.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml', io.env)
  // Only failures reach stderr: the explanation is the output.
  const gateway = await createGateway(config, createLogger('error', [], process.stderr))
  try {
    const [method, url] = positionals as [string, string]
    const explanation = await explainRequest(gateway, { method, url, headers, ip: values.ip ?? '127.0.0.1' })
    io.stdout.write(values.json === true ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation))
    return explanation.decision.allowed ? 0 : 2
  } finally {
    await gateway.close()
  }
}
