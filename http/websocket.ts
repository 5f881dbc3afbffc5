import type { IncomingMessage } from 'node:http'
import WebSocket, { WebSocketServer } from 'ws'
import type { WebSocketRouteConfig } from '../src/config/types.js'
import { protocolList } from '../src/decision/handshake.js'
import { GatehouseError } from '../src/errors.js'
import type { RuntimeRoute } from '../src/gateway.js'
import type { Identity } from '../src/policy/authenticate.js'
import { clientResponseHeaders } from '../src/proxy/headers.js'
import { upstreamError } from '../src/proxy/upstream-error.js'
import { answerProblem } from './errors.js'
import type { Exchange } from './exchange.js'
import type { Upstream } from './forward.js'
import type { WebSocketSeries } from './metrics.js'
import { Bridge } from './websocket-bridge.js'

/** The client's handshake headers describe its own connection: the upstream gets the gateway's. */
const HANDSHAKE_HEADERS = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'])
const NO_HEAD = Buffer.alloc(0)

/** The pipeline's flat header list as the object `ws` takes, without the client's handshake headers. */
function handshakeHeaders (flat: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string
    const value = flat[i + 1] as string
    if (HANDSHAKE_HEADERS.has(name)) continue
    const prior = out[name]
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
  }
  return out
}

/** Every open connection of one app (one config generation): told 1001 when the app closes. */
export class WebSocketConnections {
  private readonly open = new Set<Bridge>()

  add (bridge: Bridge): void {
    this.open.add(bridge)
    void bridge.closed.then(() => this.open.delete(bridge))
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
}

/**
 * One route's WebSocket side. The upstream is asked first: only once it has switched does
 * the client get its 101, with the subprotocol the upstream chose; an upstream that refuses
 * (or cannot be reached) is the client's HTTP answer, so a WebSocket that opens is one whose
 * both ends are there. A credential sent as a subprotocol entry never reaches the upstream.
 */
export function createWebSocketRoute ({ route, spec, upstream, series, connections }: WebSocketRouteParts): WebSocketRoute {
  const credentialPrefixes = route.forwardCredentials ? [] : [...route.clientAuth, ...route.userAuth].flatMap(a => a.consumes.protocols ?? [])
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

      x.forwardedMs = x.elapsedMs()
      const outward = new WebSocket(upstream.webSocketOrigin + upstream.basePath + path, forwarded, {
        headers: handshakeHeaders(headers),
        maxPayload: spec.maxPayload,
        perMessageDeflate: false,
        autoPong: false,
        followRedirects: false
      })
      let settled = false
      let bridged = false
      const settle = (): boolean => {
        if (settled) return false
        settled = true
        clearTimeout(timer)
        x.upstreamMs = x.elapsedMs() - x.forwardedMs
        return true
      }
      const timer = setTimeout(() => {
        if (!settle()) return
        outward.terminate()
        series.upgrade('upstream_failed')
        answerProblem(x, new GatehouseError('upstream_timeout', `upstream ${upstream.name} did not answer the WebSocket handshake in time`))
      }, upstream.timeoutMs)

      outward.on('error', err => {
        if (!settle()) return
        x.upstreamFailed = true
        series.upgrade('upstream_failed')
        answerProblem(x, upstreamError(err, upstream.name))
      })
      // The upstream answered the handshake with a plain HTTP answer (403, 404…): the client gets it as it is.
      outward.once('unexpected-response', (request, response) => {
        if (!settle()) {
          request.destroy()
          return
        }
        series.upgrade('upstream_refused')
        res.writeHead(response.statusCode ?? 502, clientResponseHeaders(response.headers, x.responseHeaders))
        response.pipe(res)
        res.once('close', () => request.destroy())
      })
      outward.once('open', () => {
        if (!settle()) return
        const socket = res.socket
        if (socket === null) {
          outward.terminate()
          return
        }
        // The client gets the subprotocol the upstream chose; a client that offered only its
        // credential entry gets that entry back, as browsers insist on one of theirs.
        chosen.set(req, outward.protocol !== '' ? outward.protocol : forwarded.length === 0 && credentials[0] !== undefined ? credentials[0] : false)
        server.handleUpgrade(req, socket, NO_HEAD, inward => {
          bridged = true
          res.statusCode = 101
          series.upgrade('opened')
          const exp = identity.user?.exp
          connections.add(new Bridge(inward, outward, {
            idleTimeoutMs: spec.idleTimeoutMs,
            expiresAt: spec.closeOnExpiry && exp !== undefined ? exp * 1000 : undefined,
            series
          }))
        })
      })
      // The client went away before both ends were joined: the upstream's side is dropped too.
      res.once('close', () => {
        settle()
        if (!bridged && (outward.readyState === WebSocket.CONNECTING || outward.readyState === WebSocket.OPEN)) outward.terminate()
      })
    }
  }
}
