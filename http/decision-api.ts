import { hash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { decide, type Outcome } from '../src/decision/decide.js'
import { DECISIONS_TOKEN_HEADER, doorAnswer, frontDoorOf, originalRequest, type DoorAnswer, type FrontDoor } from '../src/decision-api/front-door.js'
import { GatehouseError, problemAnswer, toGatehouseError } from '../src/errors.js'
import type { Gateway } from '../src/gateway.js'
import { accessLogger, type Logger } from '../src/logger.js'
import { requestIdOf } from './exchange.js'
import type { Metrics } from './metrics.js'

const digest = (value: string): Buffer => hash('sha256', value, 'buffer')

const REQUEST_ID_HEADER = 'x-request-id'

/**
 * Checks the decisions token in constant time (as digests: equal lengths whatever was sent).
 * The expected token's digest is made once, and again only when a reload changes the token.
 * A connection that has shown the token is not made to prove it again with each request (the
 * proxy keeps its connections open): what it sends next is compared as a plain string, which
 * can only tell a sender that already knows the token about it.
 */
function tokenCheck (): (expected: string | undefined, presented: string | string[] | undefined, connection: object) => GatehouseError | undefined {
  let known: { token: string, digest: Buffer } | undefined
  const shown = new WeakMap<object, string>()
  return (expected, presented, connection) => {
    if (expected === undefined) return undefined
    const value = Array.isArray(presented) ? presented[0] : presented
    if (value !== undefined && shown.get(connection) === expected && value === expected) return undefined
    if (known?.token !== expected) known = { token: expected, digest: digest(expected) }
    if (value !== undefined && timingSafeEqual(digest(value), known.digest)) {
      shown.set(connection, expected)
      return undefined
    }
    const code = value === undefined ? 'missing_credentials' : 'invalid_credentials'
    return new GatehouseError(code, `the decision API wants the decisions token (${DECISIONS_TOKEN_HEADER})`, {
      challenges: [{ scheme: 'Bearer', params: { realm: 'gatehouse-decisions' } }]
    })
  }
}

/** The path as logged: never the query (the original URI can carry an API key). */
const pathOnly = (target: string): string => target.split('?', 1)[0] as string

function decisionOf (outcome: Outcome | undefined, status: number): string {
  if (outcome === undefined || outcome.kind === 'endpoint') return status >= 500 ? 'error' : 'deny'
  if (outcome.kind === 'deny') return outcome.error.status >= 500 ? 'error' : 'deny'
  return outcome.kind
}

/**
 * The decision API's request handler: one proxy's question about one original request,
 * answered with the decision the proxy path would make for it (not a dry run: quota is
 * spent, the assertion signed, a login started). `current` is the gateway of the config in
 * force, read per question so a reload applies here as on the public listener.
 */
export function decisionApi (current: () => Gateway, metrics: Metrics, logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  const access = accessLogger(logger)
  const tokenRefusal = tokenCheck()
  return function answerDecision (req, res) {
    const started = process.hrtime.bigint()
    const gateway = current()
    // Node's parser builds this object for every HTTP/1.1 request (it looks for Host and Expect).
    const sent = req.headers
    const id = requestIdOf(sent[REQUEST_ID_HEADER])
    const url = req.url ?? '/'
    const found = frontDoorOf(url)
    const door: FrontDoor | 'none' = found?.door ?? 'none'
    let outcome: Outcome | undefined
    let target: string | undefined
    let method = req.method
    let refused: GatehouseError | undefined
    const send = (answer: DoorAnswer): void => {
      res.writeHead(answer.status, answer.headers)
      res.end(answer.body)
      const decision = decisionOf(outcome, answer.status)
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (door !== 'none') metrics.decided(door, decision, ms / 1000)
      const identity = outcome?.identity
      const error = outcome?.kind === 'deny' || outcome?.kind === 'login' ? outcome.error : refused
      const route = outcome?.kind === 'allow' || outcome?.kind === 'deny' || outcome?.kind === 'login' ? outcome.route?.match : undefined
      if (error !== undefined && error.status < 500) gateway.counters.denials.inc({ route: route ?? '', code: error.code })
      access.info({
        reqId: id,
        door,
        method,
        path: target === undefined ? pathOnly(url) : pathOnly(target),
        route,
        status: answer.status,
        ms: Math.round(ms * 100) / 100,
        ip: outcome?.clientIp,
        client: identity?.client?.id,
        user: identity?.user?.id,
        auth: identity?.authenticators.join(',') || undefined,
        decision,
        reason: error === undefined ? undefined : `${error.code}: ${error.detail}`,
        authenticator: error?.authenticator
      }, 'decision')
    }
    const refuse = (thrown: unknown): void => {
      const err = refused = toGatehouseError(thrown)
      if (err.code === 'internal_error') logger.error({ err: thrown, reqId: id }, 'decision API internal error')
      send(problemAnswer(err, id, ['x-request-id', id]))
    }
    const refusal = tokenRefusal(gateway.config.server.decisionsToken, sent[DECISIONS_TOKEN_HEADER], req.socket)
    if (refusal !== undefined) {
      refuse(refusal)
      return
    }
    if (found === undefined) {
      refuse(new GatehouseError('not_found', 'the decision API answers /nginx, /traefik and /envoy/…'))
      return
    }
    let request
    try {
      request = originalRequest(found.door, req.method ?? 'GET', found.target, sent, req.socket.remoteAddress ?? '')
      target = request.target
      method = request.method
    } catch (err) {
      refuse(err)
      return
    }
    const answer = (result: Outcome): void => {
      outcome = result
      send(doorAnswer(gateway, found.door, request, result, id, gateway.clock()))
    }
    let decided
    try {
      decided = decide(gateway, request, { requestId: id, forwards: false })
    } catch (err) {
      refuse(err)
      return
    }
    // Most decisions are made at once (a cached credential): answered without a turn of the microtask queue.
    if (decided instanceof Promise) decided.then(answer, refuse)
    else answer(decided)
  }
}
