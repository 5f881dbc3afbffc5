import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Gateway } from '../src/gateway.js'
import type { Observe } from './exchange.js'
import { createUpstream, type Upstream } from './forward.js'
import type { Metrics } from './metrics.js'
import { compilePipeline } from './pipeline.js'
import { createWebSocketRoute, WebSocketConnections } from './websocket.js'

/** How long a closing app waits for WebSocket peers to answer its 1001 before cutting them. */
const WEBSOCKET_CLOSE_GRACE_MS = 2000

export interface ProxyOptions {
  gateway: Gateway
  observe: Observe
  metrics: Metrics
}

/**
 * Every route compiled into the router with its own pipeline; each upstream gets one undici
 * pool, closed with the app (a reload's old pools once their requests are done or cut off),
 * and so are the app's open WebSockets.
 */
export default fp<ProxyOptions>(async function gatehouseProxy (app: FastifyInstance, { gateway, observe, metrics }) {
  const upstreams = new Map<string, Upstream>()
  for (const [name, cfg] of gateway.config.upstreams) upstreams.set(name, createUpstream(cfg))
  const connections = new WebSocketConnections()
  app.addHook('onClose', async () => {
    // Open WebSockets are told the server is going away (1001) before their upstreams are dropped.
    await connections.closeAll(WEBSOCKET_CLOSE_GRACE_MS)
    await Promise.all([...upstreams.values()].map(async u => await u.pool.destroy()))
  })

  app.register(async function routes (ctx) {
    // Bodies stream through untouched: nothing is parsed or buffered on the way.
    ctx.removeAllContentTypeParsers()
    ctx.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
    for (const route of gateway.routes) {
      const upstream = upstreams.get(route.upstream) as Upstream
      const handler = compilePipeline({
        gateway,
        route,
        upstream,
        observe,
        series: metrics.route(route.match, route.upstream),
        webSocket: route.websocket === undefined
          ? undefined
          : createWebSocketRoute({ route, spec: route.websocket, upstream, series: metrics.webSocket(route.match), connections })
      })
      for (const url of route.urls) ctx.route({ method: route.methods, url, handler })
    }
  })
}, { fastify: '5.x', name: 'gatehouse-proxy', dependencies: ['gatehouse-errors'] })
