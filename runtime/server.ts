import type { FastifyInstance } from 'fastify'
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import { http } from '../src/node-http.js'
import type * as Https from 'node:https'
import { createRequire } from 'node:module'
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import type { AddressInfo, Socket } from 'node:net'
import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { GatehouseError, problemAnswer } from '../src/errors.js'
import { ConfigError, formatIssue, formatWarning } from '../src/config/load.js'
import { loadConfig } from '../src/load-config.js'
import type { GatewayConfig } from '../src/config/types.js'
import { createGateway, type Gateway, type HealthReport, type Instruments } from '../src/gateway.js'
import { createLogger, type Logger } from '../src/logger.js'
import { systemClock, type Clock } from '../src/clock.js'
import { buildApp } from '../http/app.js'
import { purgeToken } from '../src/auth/purge-token.js'
import { buildAdminApp } from '../http/health.js'
import { decisionApi } from '../http/decision-api.js'
import { uncachedByNginx } from '../src/decision-api/front-door.js'
import { createMetrics, type Metrics } from '../http/metrics.js'
import { BufferBudget } from '../src/proxy/buffer-budget.js'
import { AnswersInFlight } from './answers-in-flight.js'
import type { Tracer } from '../src/telemetry/tracing.js'
import type { JWK } from 'jose'

export interface ReloadResult {
  ok: boolean
  hash: string
  errors: string[]
}

export interface RunningGateway {
  /** The process's metrics: one registry across every reload. */
  readonly metrics: Metrics
  /** The gateway of the config in force now (a reload replaces it). */
  readonly gateway: Gateway
  readonly app: FastifyInstance
  admin: FastifyInstance | undefined
  /** `http://host:port` of the public listener (https with TLS). */
  url: string
  adminUrl: string | undefined
  /** `http://host:port` of the decision API (`server.decisions`); undefined when off. */
  decisionsUrl: string | undefined
  /** Re-reads the config file: validated first, swapped atomically, the old one kept on error. */
  reload (): Promise<ReloadResult>
  /** Stops accepting, lets in-flight requests finish (up to `drainMs`, default `server.drainTimeout`), then closes everything. */
  close (drainMs?: number): Promise<void>
}

export interface StartOptions {
  logger?: Logger
  env?: NodeJS.ProcessEnv
  /** Default Date.now: what TTLs, cooldowns and expiries are measured with (tests move it). */
  clock?: Clock
  /** The signing key to use without `tokens.signingKeys`: a cluster worker's, its primary's (runtime/cluster.ts); default a new one. */
  ephemeralKey?: JWK
}

/** One config's app and gateway; retired generations close once their last request is done. */
interface Generation {
  gateway: Gateway
  app: FastifyInstance
  inflight: number
  /** Told when `inflight` drops to 0: the reload's retirement and a shutdown can both be waiting. */
  waiters: Array<() => void>
  /** Set once the generation starts closing: closing it again waits for the same close. */
  closing: Promise<void> | undefined
}

async function buildGeneration (config: GatewayConfig, logger: Logger, instruments: Instruments, metrics: Metrics, buffers: BufferBudget): Promise<Generation> {
  const gateway = await createGateway(config, logger, instruments)
  for (const { route, vary } of uncachedByNginx(gateway)) {
    logger.warn({ route: route.match, vary }, `decision API: nginx caches no allow of route ${route.match}: ` +
      `its Vary (${vary.length} bytes) is longer than the 128 nginx stores, so each of its requests is decided`)
  }
  try {
    const app = await buildApp(gateway, metrics, buffers)
    await app.ready()
    return { gateway, app, inflight: 0, waiters: [], closing: undefined }
  } catch (err) {
    await gateway.close()
    throw err
  }
}

/** The config's warnings (what `gatehouse check` prints), logged once for each config put in force. */
function logWarnings (logger: Logger, config: GatewayConfig): void {
  for (const w of config.warnings) logger.warn({ config: config.file, line: w.line, col: w.col, key: w.path, severity: w.level }, `config ${formatWarning(w)}`)
}

/** Waits until the generation's last request is answered, or `maxWaitMs`, whichever is first. */
async function drained (gen: Generation, maxWaitMs: number): Promise<void> {
  if (gen.inflight === 0) return
  await new Promise<void>(resolve => {
    const done = (): void => { clearTimeout(timer); resolve() }
    const timer = setTimeout(done, maxWaitMs)
    gen.waiters.push(done)
  })
}

/** Closes the generation's app (its upstream pools: what is still in flight is cut off) and gateway. */
async function retire (gen: Generation, maxWaitMs: number): Promise<void> {
  await drained(gen, maxWaitMs)
  gen.closing ??= gen.app.close().then(async () => await gen.gateway.close())
  await gen.closing
}

/**
 * What Node's HTTP parser refuses before any app sees it (a malformed header line, both
 * Transfer-Encoding and Content-Length, a bad chunk) is answered like every other refusal:
 * problem+json, then the connection is closed, since the stream can no longer be trusted.
 */
function answerClientError (err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const error = err.code === 'HPE_HEADER_OVERFLOW'
    ? new GatehouseError('headers_too_large', 'the request headers are larger than the gateway accepts')
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new GatehouseError('request_timeout', 'the request did not arrive within server.requestTimeout')
      : new GatehouseError('bad_request', 'the request is not well-formed HTTP')
  const { status, headers, body } = problemAnswer(error, randomUUID(), ['connection', 'close'])
  let head = `HTTP/1.1 ${status} ${error.title}\r\n`
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`
  socket.end(`${head}\r\n${body}`)
}

/**
 * An `Expect` other than 100-continue: Node would answer a bare 417 itself. The body the
 * client holds back is never read, so the connection ends with the answer.
 */
function answerExpectation (req: IncomingMessage, res: ServerResponse): void {
  answerBeforeRouting(req, res, new GatehouseError('expectation_failed', 'the only expectation the gateway meets is 100-continue'))
}

/** A problem+json answer for a request refused before any route sees it; its connection ends with it. */
function answerBeforeRouting (req: IncomingMessage, res: ServerResponse, error: GatehouseError): void {
  const { status, headers, body } = problemAnswer(error, randomUUID())
  res.shouldKeepAlive = false
  res.writeHead(status, headers)
  res.end(body)
  req.resume()
}

function urlOf (server: Server, scheme: string): string {
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return `${scheme}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`
}

function tlsOptions (tls: NonNullable<GatewayConfig['server']['tls']>): Record<string, unknown> {
  return {
    cert: readFileSync(tls.cert),
    key: readFileSync(tls.key),
    // With a client CA the certificate is asked for but not required here: the mtls
    // authenticator decides per route, and a route that does not need it still works.
    ...(tls.clientCa === undefined ? {} : { ca: readFileSync(tls.clientCa), requestCert: true, rejectUnauthorized: false })
  }
}

/** The request head as it came, minus its Upgrade header: parsed again, a plain request. */
function withoutUpgrade (req: IncomingMessage): Buffer {
  let head = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}\r\n`
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string
    if (name.toLowerCase() !== 'upgrade') head += `${name}: ${req.rawHeaders[i + 1] as string}\r\n`
  }
  // Node reads header bytes as latin1: written back the same way, they are the bytes that came.
  return Buffer.from(`${head}\r\n`, 'latin1')
}

type HttpSocket = Socket & { _httpMessage?: ServerResponse | null }

/**
 * Runs `then` once no answer holds the socket. An upgrade pipelined behind requests still being
 * answered gets the socket back while they are: Node freed their parser, and the answers queued
 * on it only move on as each one finishes. A request parsed now on a fresh parser would queue
 * behind them on a list nothing advances, and never be answered. A socket that closed meanwhile
 * (the last answer said Connection: close) is done with.
 */
function whenSocketFree (socket: HttpSocket, then: () => void): void {
  const busy = socket._httpMessage
  if (busy == null) {
    if (socket.destroyed || !socket.writable) socket.destroy()
    else then()
    return
  }
  const next = (): void => {
    busy.off('finish', next)
    busy.off('close', next)
    whenSocketFree(socket, then)
  }
  busy.once('finish', next)
  busy.once('close', next)
}

/** Thrown when a listener cannot bind: names the config key and the address. */
export class ListenError extends Error {
  constructor (readonly key: string, readonly address: string, readonly code: string | undefined, message: string) {
    super(`${key}: cannot listen on ${address}: ${message}`)
  }
}

/** Binds `server` to `at`, or throws a ListenError naming `key` and the address. */
async function listen (at: { host: string, port: number }, key: string, bind: () => Promise<void>): Promise<void> {
  try {
    await bind()
  } catch (err) {
    const { code, message } = err as Error & { code?: string }
    throw new ListenError(key, `${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}`, code, code ?? message)
  }
}

function bindNode (server: Server, at: { host: string, port: number }): () => Promise<void> {
  return async () => await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(at.port, at.host, () => { server.off('error', reject); resolve() })
  })
}

/** Exports the spans still buffered. */
async function stopTracing (tracer: Tracer | undefined): Promise<void> {
  await tracer?.shutdown()
}

/**
 * The public listener is one Node server for the life of the process; each config is a
 * generation (gateway + Fastify app) it dispatches to. A reload builds the next generation
 * beside the current one and swaps a reference: requests in flight finish on the old one.
 */
export async function startFromConfig (first: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const credentialHeaders = [...first.authenticators.values()].flatMap(a => 'header' in a.spec && typeof a.spec.header === 'string' ? [a.spec.header] : [])
  const logger = options.logger ?? createLogger(first.server.logLevel, credentialHeaders)
  let config = first
  // One budget for the process's slow-client buffers, whatever config is in force.
  const buffers = new BufferBudget(first.server.buffer.total)
  const metrics = await createMetrics(buffers)
  // The OpenTelemetry SDK is loaded only when spans are to be exported.
  const tracer: Tracer | undefined =
    first.telemetry === undefined ? undefined : (await import('../src/telemetry/otlp.js')).createOtlpTracer(first.telemetry, logger)
  // What this process's generations share (and no other gateway in the process): one object, kept across reloads.
  const instruments: Instruments = {
    ...metrics.instruments,
    clock: options.clock ?? systemClock,
    tracer,
    ephemeralJwk: options.ephemeralKey
  }
  if (first.telemetry !== undefined) logger.info({ endpoint: first.telemetry.endpoint, serviceName: first.telemetry.serviceName }, 'exporting traces over OTLP')
  let current: Generation
  try {
    current = await buildGeneration(config, logger, instruments, metrics, buffers)
  } catch (err) {
    await stopTracing(tracer)
    throw err
  }
  logWarnings(logger, config)
  metrics.follow(() => current.gateway)

  // Answers in flight, so a drain can tell each one to close its connection after it.
  const answering = new AnswersInFlight<Generation>()
  let draining = false
  const closeAfter = (res: ServerResponse): void => {
    if (!res.headersSent) res.shouldKeepAlive = false
    else res.once('finish', () => res.socket?.end())
  }
  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    // HTTP/1.1 requires Host (RFC 9112 §3.2); Node's own check answers a bare 400, so it is off
    // (requireHostHeader) and done here, as problem+json.
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined) {
      answerBeforeRouting(req, res, new GatehouseError('bad_request', 'an HTTP/1.1 request must carry a Host header'))
      return
    }
    const gen = current
    gen.inflight++
    answering.add(res, gen)
    if (draining) closeAfter(res)
    // 'close' comes once: `on` with one shared listener, no closure or `once` wrapper per request.
    res.on('close', answered)
    req.on('error', clientWentAway)
    gen.app.routing(req, res)
  }
  // A client that closes mid-request makes Node destroy the request with `aborted`; the answer's
  // 'close' handles it. Node 24 can emit that error with no listener (seen in the fuzz, seed
  // 153289137), which would end the process.
  function clientWentAway (): void {}
  function answered (this: ServerResponse): void {
    const gen = answering.delete(this) as Generation
    gen.inflight--
    if (gen.inflight === 0) for (const done of gen.waiters.splice(0)) done()
  }
  // node:https (and tls under it) only for a TLS listener: loading them costs a start without one a few ms.
  const server: Server = first.server.tls === undefined
    ? http.createServer({ requireHostHeader: false }, dispatch)
    : (createRequire(import.meta.url)('node:https') as typeof Https)
        .createServer({ ...tlsOptions(first.server.tls), requireHostHeader: false }, dispatch) as unknown as Server
  // With a listener, Node leaves `Expect: 100-continue` to the app: the pipeline sends 100
  // Continue only once the request has passed its route's policy.
  server.on('checkContinue', dispatch)
  server.on('checkExpectation', answerExpectation)
  // Upgrades go where requests go, to the generation in force, on a response bound to the
  // socket: the route's pipeline answers a refusal over it, or hands the socket to its
  // WebSocket. That response closes only with the socket, so an open WebSocket is one of its
  // generation's requests in flight: a reload leaves it there, a drain waits for it.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (head.length > 0) socket.unshift(head)
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      // Node hands every upgrade here, but only WebSocket is offered: another (h2c) is served
      // as the plain request it also is, body and keep-alive included, by giving its bytes
      // back to the HTTP server without the Upgrade header.
      socket.unshift(withoutUpgrade(req))
      whenSocketFree(socket, () => server.emit(first.server.tls === undefined ? 'connection' : 'secureConnection', socket))
      return
    }
    // A reset before anything owns the socket ends in its close event, which is all that matters.
    socket.on('error', () => {})
    // An upgrade pipelined behind a request still being answered: the socket already belongs to
    // that answer (binding a second one threw, uncaught, and ended the process). Such a client
    // gets the connection closed.
    if ((socket as HttpSocket)._httpMessage != null) {
      socket.destroy()
      return
    }
    const res = new http.ServerResponse(req)
    res.shouldKeepAlive = false
    res.assignSocket(socket)
    // An answer that is not a switch (a refusal) is the last thing on this connection. What the
    // client pipelined after the upgrade is read and dropped: left unread, the socket never saw
    // the client's end, never closed, and held a drain (and a descriptor) forever.
    res.once('finish', () => { socket.end(); socket.resume() })
    dispatch(req, res)
  })
  server.on('clientError', answerClientError)
  server.keepAliveTimeout = 72_000
  server.requestTimeout = first.server.requestTimeoutMs
  // Once draining, the instance is on its way out: /readyz says so at once, so a load balancer
  // or Kubernetes stops sending before the listener refuses new connections.
  const readiness = (): HealthReport =>
    draining ? { status: 'down', checks: { ...current.gateway.health().checks, process: 'draining' } } : current.gateway.health()
  let admin: FastifyInstance | undefined
  try {
    await listen(first.server.listen, 'server.listen', bindNode(server, first.server.listen))
    if (first.server.admin !== undefined) {
      admin = await buildAdminApp(
        logger,
        readiness,
        async token => await purgeToken(current.gateway.cache, token, current.gateway.config),
        metrics,
        first.server.adminToken,
        () => ({ store: current.gateway.userTokens, config: current.gateway.config })
      )
      const at = first.server.admin
      const app = admin
      await listen(at, 'server.admin', async () => { await app.listen({ host: at.host, port: at.port }) })
    }
  } catch (err) {
    // A listener that cannot bind ends the start: nothing opened so far may keep the process alive.
    if (server.listening) await new Promise(resolve => server.close(resolve))
    await admin?.close()
    await retire(current, 0)
    await stopTracing(tracer)
    throw err
  }

  // The decision API: its own listener, never the public one. A question is a request of the
  // generation in force, like any other: a reload or a drain waits for it.
  let decisions: Server | undefined
  if (first.server.decisions !== undefined) {
    const answer = decisionApi(() => current.gateway, metrics, logger)
    // Node 24.12+ skips the stream events of a request without a body (a proxy's question never has one); older Nodes ignore the option.
    const questions: ServerOptions & { optimizeEmptyRequests?: boolean } = { optimizeEmptyRequests: true }
    decisions = http.createServer(questions, (req, res) => {
      const gen = current
      gen.inflight++
      if (draining) res.shouldKeepAlive = false
      res.once('close', () => {
        gen.inflight--
        if (gen.inflight === 0) for (const done of gen.waiters.splice(0)) done()
      })
      answer(req, res)
    })
    decisions.on('clientError', answerClientError)
    decisions.keepAliveTimeout = 72_000
    const { host, port } = first.server.decisions
    const listening = decisions
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject)
      listening.listen(port, host, () => { listening.off('error', reject); resolve() })
    })
  }

  /** Generations a reload replaced, closing once their last request (or WebSocket) is done. */
  const retiring = new Set<Generation>()
  let reloading: Promise<ReloadResult> | undefined
  async function doReload (): Promise<ReloadResult> {
    let next: Generation
    try {
      const nextConfig = await loadConfig(config.file, options.env)
      if (nextConfig.hash === config.hash) {
        metrics.reloaded(true)
        return { ok: true, hash: config.hash, errors: [] }
      }
      if (JSON.stringify(nextConfig.telemetry) !== JSON.stringify(config.telemetry)) {
        logger.warn('telemetry settings changed: they take effect at the next start')
      }
      next = await buildGeneration(nextConfig, logger, instruments, metrics, buffers)
      if (nextConfig.server.tls !== undefined && 'setSecureContext' in server) {
        (server as unknown as { setSecureContext: (o: unknown) => void }).setSecureContext(tlsOptions(nextConfig.server.tls))
      }
      config = nextConfig
    } catch (err) {
      const errors = err instanceof ConfigError ? err.issues.map(formatIssue) : [err instanceof Error ? err.message : String(err)]
      metrics.reloaded(false)
      logger.error({ errors, config: config.file }, 'config reload failed: keeping the config in force')
      return { ok: false, hash: config.hash, errors }
    }
    const old = current
    current = next
    buffers.resize(config.server.buffer.total)
    metrics.reloaded(true)
    logger.info({ hash: config.hash.slice(0, 12), routes: next.gateway.routes.length }, 'config reloaded')
    logWarnings(logger, config)
    // An open WebSocket can hold the old generation for long: after a minute it is closed (1001).
    retiring.add(old)
    void retire(old, 60_000)
      .catch((err: unknown) => logger.error({ err }, 'closing the previous config failed'))
      .finally(() => retiring.delete(old))
    return { ok: true, hash: config.hash, errors: [] }
  }

  let watcher: FSWatcher | undefined
  if (first.server.watch) {
    let timer: NodeJS.Timeout | undefined
    watcher = watch(first.file, () => {
      clearTimeout(timer)
      // Editors write in several steps; reload once the file has settled.
      timer = setTimeout(() => { void running.reload() }, 150)
    })
  }

  const scheme = first.server.tls === undefined ? 'http' : 'https'
  const running: RunningGateway = {
    get gateway () { return current.gateway },
    get app () { return current.app },
    metrics,
    admin,
    url: urlOf(server, scheme),
    adminUrl: admin === undefined ? undefined : urlOf(admin.server, 'http'),
    decisionsUrl: decisions === undefined ? undefined : urlOf(decisions, 'http'),
    async reload () {
      // Reloads queue rather than overlap: each one sees the file as it is when it runs.
      const run = (reloading ?? Promise.resolve()).then(doReload, doReload)
      reloading = run
      return await run
    },
    async close (drainMs = first.server.drainTimeoutMs) {
      watcher?.close()
      draining = true
      const closed = new Promise<void>(resolve => server.close(() => resolve()))
      server.closeIdleConnections()
      const decisionsClosed = decisions === undefined ? undefined : new Promise<void>(resolve => decisions?.close(() => resolve()))
      decisions?.closeIdleConnections()
      // A keep-alive connection (a load balancer's pool) must not feed the draining process new
      // requests: each answer in flight says Connection: close, and its connection ends after it.
      for (const res of answering.list()) closeAfter(res)
      // Generations a reload left behind drain on the same deadline as the one in force.
      const generations = [current, ...retiring]
      await Promise.all(generations.map(async gen => await drained(gen, drainMs)))
      // Past the drain deadline: the clients still waiting are cut off first, then their upstream requests.
      server.closeAllConnections()
      decisions?.closeAllConnections()
      await Promise.all(generations.map(async gen => await retire(gen, 0)))
      await closed
      await decisionsClosed
      await admin?.close()
      await stopTracing(tracer)
    }
  }
  logger.info(
    {
      url: running.url,
      admin: running.adminUrl,
      decisions: running.decisionsUrl,
      routes: current.gateway.routes.length,
      config: first.file,
      hash: first.hash.slice(0, 12)
    },
    'gatehouse listening'
  )
  return running
}

export async function startGateway (file: string, options: StartOptions = {}): Promise<RunningGateway> {
  return await startFromConfig(await loadConfig(file, options.env), options)
}
