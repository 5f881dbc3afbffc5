import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Gateway } from '../src/gateway.js'
import type { BufferBudget } from '../src/proxy/buffer-budget.js'
import type { Balancer } from '../src/proxy/balancer.js'
import type { Observe } from './exchange.js'
import { createUpstream, type Upstream } from './forward.js'
import { preflightOnly, type RouteAndSeries } from './cors.js'
import type { Metrics } from './metrics.js'
import { compilePipeline } from './pipeline.js'

/** How long a closing app waits for WebSocket peers to answer its 1001 before cutting them. */
const WEBSOCKET_CLOSE_GRACE_MS = 2000

export interface ProxyOptions {
  gateway: Gateway
  observe: Observe
  metrics: Metrics
  /** The process's bytes held for slow clients. */
  buffers: BufferBudget
}

/**
 * Every route compiled into the router with its own pipeline; each upstream gets one undici
 * pool, closed with the app (a reload's old pools once their requests are done or cut off),
 * and so are the app's open WebSockets.
 */
export default fp<ProxyOptions>(async function gatehouseProxy (app: FastifyInstance, { gateway, observe, metrics, buffers }) {
  const upstreams = new Map<string, Upstream>()
  for (const [name, cfg] of gateway.config.upstreams) upstreams.set(name, createUpstream(cfg, gateway.balancers.get(name) as Balancer))
  const untrack = [...upstreams.values()].map(u => metrics.upstreamPool(u.name, () => u.pool.usage()))
  // ws is loaded only for a config with a WebSocket route.
  const webSockets = gateway.routes.some(r => r.websocket !== undefined) ? await import('./websocket.js') : undefined
  const connections = webSockets === undefined ? undefined : new webSockets.WebSocketConnections()
  // A revocation heard from any instance (or the CLI) closes the WebSockets its credential opened here.
  const stopHearing = connections === undefined ? undefined : gateway.cache.onInvalidate(key => connections.revoked(key))
  app.addHook('onClose', async () => {
    stopHearing?.()
    // Open WebSockets are told the server is going away (1001) before their upstreams are dropped.
    await connections?.closeAll(WEBSOCKET_CLOSE_GRACE_MS)
    await Promise.all([...upstreams.values()].map(async u => await u.pool.destroy()))
    for (const stop of untrack) stop()
  })

  app.register(async function routes (ctx) {
    // Bodies go through unparsed: the forwarder reads or streams them (http/forward.ts).
    ctx.removeAllContentTypeParsers()
    ctx.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
    // Paths whose routes answer CORS but do not serve OPTIONS: their preflights still need an answer.
    const preflights = new Map<string, RouteAndSeries[]>()
    const servesOptions = new Set<string>()
    for (const route of gateway.routes) {
      const upstream = upstreams.get(route.upstream) as Upstream
      const series = metrics.route(route.match, route.upstream)
      for (const url of route.urls) {
        if (route.methods.includes('OPTIONS')) servesOptions.add(url)
        else if (route.corsPolicy !== undefined) preflights.set(url, [...preflights.get(url) ?? [], { route, series }])
      }
      const handler = compilePipeline({
        gateway,
        route,
        upstream,
        observe,
        buffers,
        series,
        webSocket: route.websocket === undefined || webSockets === undefined || connections === undefined
          ? undefined
          : webSockets.createWebSocketRoute({
            route,
            spec: route.websocket,
            upstream,
            series: metrics.webSocket(route.match),
            connections,
            credentialProtocols: gateway.credentials.protocols ?? [],
            ownCookies: gateway.ownCookies,
            clock: gateway.clock
          })
      })
      for (const url of route.urls) ctx.route({ method: route.methods, url, handler })
    }
    for (const [url, routes] of preflights) {
      if (!servesOptions.has(url)) ctx.route({ method: 'OPTIONS', url, handler: preflightOnly(routes, observe, gateway.config.server.routing) })
    }
  })
}, { name: 'gatehouse-proxy', dependencies: ['gatehouse-errors'] })
