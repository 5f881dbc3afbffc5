import type { IncomingMessage } from 'node:http'
import WebSocket, { WebSocketServer } from 'ws'
import type { WebSocketRouteConfig } from '../src/config/types.js'
import { protocolList } from '../src/decision/handshake.js'
import { GatehouseError } from '../src/errors.js'
import type { RuntimeRoute } from '../src/gateway.js'
import type { Clock } from '../src/clock.js'
import type { Identity } from '../src/policy/authenticate.js'
import { clientResponseHeaders } from '../src/proxy/headers.js'
import { connectFailure, failingStatus, mayRetry, type Outcome } from '../src/proxy/balancer.js'
import { upstreamError } from '../src/proxy/upstream-error.js'
import { answerProblem } from './errors.js'
import type { Exchange } from './exchange.js'
import type { Upstream } from './forward.js'
import type { WebSocketSeries } from './metrics.js'
import { Bridge } from './websocket-bridge.js'

/** The client's handshake headers describe its own connection: the upstream gets the gateway's. */
const HANDSHAKE_HEADERS = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'])
const NO_HEAD = Buffer.alloc(0)

/** The pipeline's flat header list as the object `ws` takes, without the client's handshake headers, Host the chosen target's. */
function handshakeHeaders (flat: readonly string[], host: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string
    const value = name === 'host' ? host : flat[i + 1] as string
    if (HANDSHAKE_HEADERS.has(name)) continue
    const prior = out[name]
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
  }
  return out
}

interface Opening {
  revoked: boolean
  done: () => void
}

/**
 * Every open connection of one app (one config generation), indexed by the revocation keys of
 * the credentials that opened it (hashes, never the credentials): told 1001 when the app
 * closes, 1008 when one of its credentials is revoked on any instance.
 */
export class WebSocketConnections {
  private readonly open = new Set<Bridge>()
  private readonly byCredential = new Map<string, Set<Bridge>>()
  /** Handshakes under way (the upstream not yet switched), by revocation key: a revocation then is remembered. */
  private readonly opening = new Map<string, Set<Opening>>()

  /**
   * Watches `revocationKeys` while the upstream handshake runs, so a revocation heard before
   * the bridge exists still closes it; `done()` once the bridge is added or the handshake failed.
   */
  watch (revocationKeys: readonly string[]): Opening {
    const opening: Opening = {
      revoked: false,
      done: () => {
        for (const key of revocationKeys) {
          const set = this.opening.get(key)
          set?.delete(opening)
          if (set?.size === 0) this.opening.delete(key)
        }
      }
    }
    for (const key of revocationKeys) {
      let set = this.opening.get(key)
      if (set === undefined) this.opening.set(key, set = new Set())
      set.add(opening)
    }
    return opening
  }

  add (bridge: Bridge, revocationKeys: readonly string[] = []): void {
    this.open.add(bridge)
    for (const key of revocationKeys) {
      let bridges = this.byCredential.get(key)
      if (bridges === undefined) this.byCredential.set(key, bridges = new Set())
      bridges.add(bridge)
    }
    void bridge.closed.then(() => {
      this.open.delete(bridge)
      for (const key of revocationKeys) {
        const bridges = this.byCredential.get(key)
        bridges?.delete(bridge)
        if (bridges?.size === 0) this.byCredential.delete(key)
      }
    })
  }

  /** A credential's revocation key was invalidated: every connection it opened is closed with 1008. */
  revoked (key: string): void {
    for (const o of this.opening.get(key) ?? []) o.revoked = true
    for (const b of this.byCredential.get(key) ?? []) b.close(1008, 'credential revoked')
  }

  /** Closes every connection with 1001; those whose peers do not answer within `graceMs` are cut. */
  async closeAll (graceMs: number): Promise<void> {
    const bridges = [...this.open]
    for (const b of bridges) b.close(1001, 'server shutting down')
    const all = Promise.all(bridges.map(async b => await b.closed))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([all, new Promise(resolve => { timer = setTimeout(resolve, graceMs) })])
    clearTimeout(timer)
    for (const b of bridges) b.terminate()
    await all
  }
}

export interface WebSocketRoute {
  /** Opens the upstream's WebSocket for an admitted upgrade, then switches the client's connection to it. */
  open (x: Exchange, identity: Identity, path: string, headers: string[]): void
  /** Counts an upgrade the route's policy refused. */
  denied (): void
}

export interface WebSocketRouteParts {
  route: RuntimeRoute
  spec: WebSocketRouteConfig
  upstream: Upstream
  series: WebSocketSeries
  connections: WebSocketConnections
  /**
   * Every subprotocol prefix any configured authenticator reads (`gateway.credentials.protocols`):
   * taken out on every route, so a token meant for one route never reaches another's upstream.
   */
  credentialProtocols: readonly string[]
  /** The gateway's own cookies: a refusing upstream's `Set-Cookie` for them is dropped. */
  ownCookies: ReadonlySet<string>
  /** The gateway's clock: what the opening token's expiry is measured with. */
  clock: Clock
}

/**
 * One route's WebSocket side. The upstream is asked first: only once it has switched does
 * the client get its 101, with the subprotocol the upstream chose; an upstream that refuses
 * (or cannot be reached) is the client's HTTP answer, so a WebSocket that opens is one whose
 * both ends are there. A credential sent as a subprotocol entry never reaches the upstream.
 */
export function createWebSocketRoute (parts: WebSocketRouteParts): WebSocketRoute {
  const { route, spec, upstream, series, connections, credentialProtocols, ownCookies, clock } = parts
  const credentialPrefixes = route.forwardCredentials ? [] : credentialProtocols
  const chosen = new WeakMap<IncomingMessage, string | false>()
  // One server per route, never listening: it only completes handshakes the pipeline has admitted.
  const server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: spec.maxPayload,
    // Messages cross as they came: compressing them again here would cost CPU and memory per connection.
    perMessageDeflate: false,
    autoPong: false,
    handleProtocols: (_offered, req) => chosen.get(req) ?? false
  })

  return {
    denied: () => series.upgrade('denied'),
    open (x, identity, path, headers) {
      const { req, res } = x
      const offered = protocolList(req.headers['sec-websocket-protocol'])
      const credentials = offered.filter(p => credentialPrefixes.some(prefix => p.startsWith(prefix)))
      const forwarded = offered.filter(p => !credentials.includes(p))

      const revocationKeys = [identity.client?.revocationKey, identity.user?.revocationKey].filter((k): k is string => k !== undefined)
      const opening = connections.watch(revocationKeys)
      x.forwardedMs = x.elapsedMs()
      const { balancer } = upstream
      const tried = new Set<number>()
      const startedAt = balancer.now()
      let outward: WebSocket
      let settled = false
      let bridged = false
      const settle = (): boolean => {
        if (settled) return false
        settled = true
        clearTimeout(timer)
        opening.done()
        x.upstreamMs = x.elapsedMs() - x.forwardedMs
        return true
      }
      const timer = setTimeout(() => {
        if (!settle()) return
        outward.terminate()
        series.upgrade('upstream_failed')
        answerProblem(x, new GatehouseError('upstream_timeout', `upstream ${upstream.name} did not answer the WebSocket handshake in time`))
      }, upstream.timeoutMs)

      // A handshake goes to a target as a request does, and to another one when it could not connect.
      const connect = (target: number): void => {
        tried.add(target)
        balancer.start(target)
        let heard = false
        const hear = (outcome: Outcome | undefined): void => {
          if (heard) return
          heard = true
          balancer.finish(target, outcome)
        }
        const { origin, host } = upstream.webSocketTargets[target] as { origin: string, host: string }
        const socket = outward = new WebSocket(origin + upstream.basePath + path, forwarded, {
          headers: handshakeHeaders(headers, host),
          maxPayload: spec.maxPayload,
          perMessageDeflate: false,
          autoPong: false,
          followRedirects: false
        })

        socket.on('error', err => {
          const refused = connectFailure(err)
          hear(refused ? 'failed' : undefined)
          if (settled) return
          const next = refused && mayRetry({
            method: 'GET',
            hasBody: false,
            sent: false,
            answered: false,
            error: err,
            retryOn: upstream.retryOn,
            retried: tried.size - 1,
            retries: upstream.retries,
            elapsedMs: balancer.now() - startedAt,
            deadlineMs: upstream.timeoutMs
          })
            ? balancer.pick(tried)
            : undefined
          if (next !== undefined) {
            connect(next)
            return
          }
          settle()
          x.upstreamFailed = true
          series.upgrade('upstream_failed')
          answerProblem(x, upstreamError(err, upstream.name))
        })
        // The upstream answered the handshake with a plain HTTP answer (403, 404…): the client gets it as it is.
        socket.once('unexpected-response', (request, response) => {
          hear(failingStatus(response.statusCode ?? 502) ? 'failed' : 'ok')
          if (!settle()) {
            request.destroy()
            return
          }
          series.upgrade('upstream_refused')
          res.writeHead(response.statusCode ?? 502, clientResponseHeaders(response.headers, x.responseHeaders, ownCookies))
          response.pipe(res)
          res.once('close', () => request.destroy())
        })
        socket.once('open', () => {
          hear('ok')
          if (!settle()) return
          const clientSocket = res.socket
          if (clientSocket === null) {
            socket.terminate()
            return
          }
          // The client gets the subprotocol the upstream chose; a client that offered only its
          // credential entry gets that entry back, as browsers insist on one of theirs.
          chosen.set(req, socket.protocol !== '' ? socket.protocol : forwarded.length === 0 && credentials[0] !== undefined ? credentials[0] : false)
          server.handleUpgrade(req, clientSocket, NO_HEAD, inward => {
            bridged = true
            res.statusCode = 101
            series.upgrade('opened')
            const exp = identity.user?.exp
            const bridge = new Bridge(inward, socket, {
              idleTimeoutMs: spec.idleTimeoutMs,
              expiresAt: spec.closeOnExpiry && exp !== undefined ? exp * 1000 : undefined,
              clock,
              series
            })
            connections.add(bridge, revocationKeys)
            // Revoked while the upstream was still answering the handshake.
            if (opening.revoked) bridge.close(1008, 'credential revoked')
          })
        })
        // Ended without an answer (the client went away, the timeout): says nothing of the target.
        socket.once('close', () => { hear(undefined) })
      }
      connect(balancer.pick() as number)

      // The client went away before both ends were joined: the upstream's side is dropped too.
      res.once('close', () => {
        settle()
        if (!bridged && (outward.readyState === WebSocket.CONNECTING || outward.readyState === WebSocket.OPEN)) outward.terminate()
      })
    }
  }
}
