/**
 * The lean reference forwarder (issue 24): what the gateway's request path is measured
 * against. Fastify with `reply.hijack()` and its find-my-way route; on `/rs256/*` a Map from
 * token to verified principal, jose on a miss (RS256 only, issuer, audience, `exp`); the
 * client's raw headers filtered into a flat array plus `Remote-User` and `X-Forwarded-For`;
 * undici `Pool.dispatch` with a handler that writes the answer and applies backpressure.
 * `/public/*` forwards without a token. Run as its own process:
 *   node dist/bench/reference-forwarder.js PORT UPSTREAM_URL PUBLIC_KEY_PEM ISSUER AUDIENCE
 */
import Fastify from 'fastify'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { importSPKI, jwtVerify } from 'jose'
import { Pool, type Dispatcher } from 'undici'

const [port, upstream, keyFile, issuer, audience] = process.argv.slice(2) as [string, string, string, string, string]
const key = await importSPKI(readFileSync(keyFile, 'utf8'), 'RS256')
const pool = new Pool(upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 })
// Lower-cased names never forwarded: hop-by-hop, the Host (undici sends the upstream's), and the identity this hop sets.
const DROPPED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'remote-user', 'x-forwarded-for'
])
const verified = new Map<string, { sub: string, exp: number }>()

const bearer = (authorization: string | undefined): string | undefined => authorization?.startsWith('Bearer ') === true ? authorization.slice(7) : undefined

/** A token seen before is answered from the Map (its `exp` still checked); a new one is verified. */
async function verify (token: string): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(token, key, { issuer, audience, algorithms: ['RS256'], requiredClaims: ['exp', 'sub'] })
    if (verified.size >= 100_000) verified.clear()
    verified.set(token, { sub: payload.sub as string, exp: payload.exp as number })
    return payload.sub
  } catch {
    return undefined
  }
}

/** Writes the upstream's answer into the client's response; pauses the upstream while the client is slower. */
class Answer implements Dispatcher.DispatchHandler {
  private resume: (() => void) | undefined
  private abort: ((err: Error) => void) | undefined
  constructor (private readonly res: ServerResponse) {
    res.on('drain', () => { this.resume?.() })
    res.on('close', () => { if (!res.writableFinished) this.abort?.(new Error('client gone')) })
  }

  onConnect (abort: (err: Error) => void): void { this.abort = abort }
  onHeaders (status: number, raw: Buffer[], resume: () => void): boolean {
    this.resume = resume
    const headers: string[] = []
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as Buffer).toString('latin1')
      if (!DROPPED.has(name.toLowerCase())) headers.push(name, (raw[i + 1] as Buffer).toString('latin1'))
    }
    this.res.writeHead(status, headers)
    return true
  }

  onData (chunk: Buffer): boolean { return this.res.write(chunk) }
  onComplete (): void { this.res.end() }
  onError (): void {
    if (this.res.headersSent) this.res.destroy()
    else this.res.writeHead(502).end()
  }
}

function forward (req: IncomingMessage, res: ServerResponse, user: string | undefined): void {
  const raw = req.rawHeaders
  const headers: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (!DROPPED.has(name.toLowerCase())) headers.push(name, raw[i + 1] as string)
  }
  if (user !== undefined) headers.push('remote-user', user)
  headers.push('x-forwarded-for', req.socket.remoteAddress ?? '')
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : req
  pool.dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.url as string, headers, body }, new Answer(res))
}

const app = Fastify({ logger: false })
app.removeAllContentTypeParsers()
app.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })
app.get('/public/*', (request, reply) => {
  reply.hijack()
  forward(request.raw, reply.raw, undefined)
})
app.get('/rs256/*', (request, reply) => {
  reply.hijack()
  const res = reply.raw
  const token = bearer(request.headers.authorization)
  const hit = token === undefined ? undefined : verified.get(token)
  const refuse = (): void => { res.writeHead(401, { 'www-authenticate': 'Bearer' }).end() }
  if (hit !== undefined) {
    if (hit.exp > Date.now() / 1000) forward(request.raw, res, hit.sub)
    else refuse()
  } else if (token === undefined) refuse()
  else {
    verify(token).then(user => { if (user === undefined) refuse(); else forward(request.raw, res, user) }, refuse)
  }
})
await app.listen({ port: Number(port), host: '127.0.0.1' })
