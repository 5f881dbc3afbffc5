import type { GatewayConfig } from '../config/types.js'
import { decide, type Outcome } from '../decision/decide.js'
import { decisionRequest } from '../decision/request.js'
import { createGateway, type Gateway } from '../gateway.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../clock.js'
import type { CaseExpectation, PolicyCase } from './case-file.js'
import { prepareHarness } from './harness.js'

/** What the decision was, in the terms a case states it. */
export interface Decided {
  decision: 'allow' | 'deny' | 'login' | 'endpoint' | 'preflight'
  /** The route pattern that decided; undefined when no route did. */
  route: string | undefined
  status: number | undefined
  code: string | undefined
  stage: string | undefined
  /** The refusal's detail, or for an allow who it let through. */
  reason: string
  /** The identity headers the upstream would receive (lowercased names). */
  identity: Record<string, string>
  /** Every header the upstream would receive (lowercased names, repeats joined). */
  headers: Record<string, string>
  /** The path and query the upstream would be asked for. */
  path: string | undefined
}

export interface CaseResult {
  case: PolicyCase
  passed: boolean
  actual: Decided
  /** Why it failed, one line per mismatch. */
  mismatches: string[]
}

function decided (gateway: Gateway, outcome: Outcome): Decided {
  const identityNames = new Set(
    [...Object.values(gateway.identity.names), ...gateway.identity.claims.map(([, h]) => h), gateway.config.identity.assertion?.header]
      .filter((n): n is string => n !== undefined)
      .map(n => n.toLowerCase())
  )
  const base = {
    route: 'route' in outcome ? outcome.route?.match : undefined,
    identity: {},
    headers: {},
    path: undefined,
    status: undefined,
    code: undefined,
    stage: undefined
  }
  switch (outcome.kind) {
    case 'allow': {
      const headers: Record<string, string> = {}
      for (let i = 0; i < outcome.headers.length; i += 2) {
        const name = (outcome.headers[i] as string).toLowerCase()
        const value = outcome.headers[i + 1] as string
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
      }
      const identity = Object.fromEntries(Object.entries(headers).filter(([n]) => identityNames.has(n)))
      const who = [
        outcome.identity.client === undefined ? '' : `client ${outcome.identity.client.id}`,
        outcome.identity.user === undefined ? '' : `user ${outcome.identity.user.id}`
      ]
        .filter(s => s !== '')
        .join(', ')
      return { ...base, decision: 'allow', reason: who === '' ? 'anonymous' : who, identity, headers, path: outcome.path }
    }
    case 'deny':
      return { ...base, decision: 'deny', status: outcome.error.status, code: outcome.error.code, stage: outcome.stage, reason: outcome.error.detail }
    case 'login':
      return { ...base, decision: 'login', status: 302, stage: 'login', reason: `a page load sent to log in with ${outcome.authenticator.name}` }
    case 'endpoint':
      return { ...base, decision: 'endpoint', reason: `${outcome.path} is the gateway's own ${outcome.endpoint} endpoint` }
    case 'preflight':
      return outcome.answer.allowed
        ? { ...base, decision: 'preflight', status: 204, stage: 'cors', reason: 'a CORS preflight the gateway answers' }
        : { ...base, decision: 'deny', status: 403, code: 'cors_forbidden', stage: 'cors', reason: outcome.answer.reason }
  }
}

/** How a decision reads in a report: `allow /api/orders/* (client android, user alice)`, `deny 401 missing_credentials at authenticate`. */
export function describe (d: Decided): string {
  if (d.decision === 'allow') return `allow ${d.route ?? ''} (${d.reason})`
  if (d.decision === 'deny') return `deny ${d.status ?? ''} ${d.code ?? ''} at ${d.stage ?? ''}: ${d.reason}`
  if (d.decision === 'login') return `login (${d.reason})`
  if (d.decision === 'preflight') return `preflight answered 204 (${d.reason})`
  return `endpoint (${d.reason})`
}

export function describeExpectation (e: CaseExpectation): string {
  if ('allow' in e) {
    return `allow${e.route === undefined ? '' : ` ${e.route}`}${
      e.headers === undefined
        ? ''
        : ` with ${Object.entries(e.headers)
            .map(([n, v]) => `${n}: ${v ?? '(absent)'}`)
            .join(', ')}`
    }`
  }
  if ('deny' in e) return `deny ${e.deny}${e.code === undefined ? '' : ` ${e.code}`}${e.stage === undefined ? '' : ` at ${e.stage}`}`
  return 'login'
}

function compare (e: CaseExpectation, d: Decided): string[] {
  const out: string[] = []
  if ('allow' in e) {
    if (d.decision !== 'allow') return [`expected allow, got ${describe(d)}`]
    if (e.route !== undefined && e.route !== d.route) out.push(`expected route ${e.route}, decided by ${d.route ?? 'no route'}`)
    if (e.path !== undefined && e.path !== d.path) out.push(`expected upstream path ${e.path}, got ${d.path ?? ''}`)
    for (const [name, want] of Object.entries(e.headers ?? {})) {
      const got = d.headers[name.toLowerCase()]
      if (want === null && got !== undefined) out.push(`expected no ${name} upstream, got ${JSON.stringify(got)}`)
      if (want !== null && got !== want) out.push(`expected ${name}: ${JSON.stringify(want)} upstream, got ${got === undefined ? 'none' : JSON.stringify(got)}`)
    }
    return out
  }
  if ('deny' in e) {
    if (d.decision !== 'deny') return [`expected ${describeExpectation(e)}, got ${describe(d)}`]
    if (e.deny !== d.status) out.push(`expected status ${e.deny}, got ${d.status ?? ''} (${d.code ?? ''}: ${d.reason})`)
    if (e.code !== undefined && e.code !== d.code) out.push(`expected code ${e.code}, got ${d.code ?? ''} (${d.reason})`)
    if (e.stage !== undefined && e.stage !== d.stage) out.push(`expected the refusal at ${e.stage}, got it at ${d.stage ?? ''}`)
    return out
  }
  return d.decision === 'login' ? [] : [`expected a login redirect, got ${describe(d)}`]
}

export interface RunOptions {
  logger: Logger
  /** What the test credentials' lifetimes and the gateway's expiries are measured with. */
  clock: Clock
}

/**
 * Runs each case through the very decision the listener runs (`decide`, dry: no quota spent,
 * nothing forwarded, no login started) on a gateway built from `config` with the test
 * credentials substituted (harness.ts). Cases run one after another, in file order.
 */
export async function runCases (config: GatewayConfig, cases: readonly PolicyCase[], options: RunOptions): Promise<CaseResult[]> {
  const harness = await prepareHarness(config, cases, options.clock)
  let gateway: Gateway | undefined
  try {
    gateway = await createGateway(harness.config, options.logger, { clock: options.clock })
    const results: CaseResult[] = []
    for (const c of cases) {
      // Unless a case says otherwise, requests name the first configured public origin (server.publicOrigins), as clients do.
      const home = gateway.config.server.publicOrigins[0] === undefined ? undefined : new URL(gateway.config.server.publicOrigins[0])
      const made = await harness.credentials(c, gateway, c.request.tls || home?.protocol === 'https:')
      const rawHeaders = [...c.request.headers]
      if (!rawHeaders.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host')) rawHeaders.unshift('Host', home?.host ?? 'gatehouse.test')
      rawHeaders.push(...made.headers)
      const tls = c.request.tls || home?.protocol === 'https:'
      const request = decisionRequest({
        method: c.request.method,
        target: c.request.path,
        rawHeaders,
        peer: c.request.peer,
        tls: made.tls ?? (tls ? { encrypted: true, authorized: false } : undefined)
      })
      const actual = decided(gateway, await decide(gateway, request, { dryRun: true }))
      const mismatches = compare(c.expect, actual)
      results.push({ case: c, passed: mismatches.length === 0, actual, mismatches })
    }
    return results
  } finally {
    await gateway?.close()
    await harness.close()
  }
}

/** A case whose decision differs between two configs: what a reviewer of the change needs to see. */
export interface Change {
  name: string
  before: Decided
  after: Decided
  /** deny (or login) before, allow now: the change lets more through. */
  widens: boolean
  what: string
}

export function changes (before: readonly CaseResult[], after: readonly CaseResult[]): Change[] {
  const out: Change[] = []
  for (const now of after) {
    const then = before.find(b => b.case.name === now.case.name)
    if (then === undefined) continue
    const a = then.actual
    const b = now.actual
    const what: string[] = []
    if (a.decision !== b.decision || a.status !== b.status || a.code !== b.code) what.push(`${describe(a)} → ${describe(b)}`)
    else if (a.route !== b.route) what.push(`decided by ${a.route ?? 'no route'} → ${b.route ?? 'no route'}`)
    const names = new Set([...Object.keys(a.identity), ...Object.keys(b.identity)])
    for (const n of names) if (a.identity[n] !== b.identity[n]) what.push(`${n}: ${a.identity[n] ?? '(none)'} → ${b.identity[n] ?? '(none)'}`)
    if (what.length > 0) out.push({ name: now.case.name, before: a, after: b, widens: a.decision !== 'allow' && b.decision === 'allow', what: what.join('; ') })
  }
  return out
}
