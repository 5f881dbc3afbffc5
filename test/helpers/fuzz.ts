import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { connect } from 'node:net'
import express from 'express'
import fc from 'fast-check'
import { WebSocketServer } from 'ws'
import { startTestGateway, KEYS, keyHash, TEST_SERVER, type TestGateway } from './gateway.js'
import { RawConnection, startRawUpstream, responseBytes, header, type RawMessage } from './raw-http.js'
import { SignJWT } from 'jose'
import { scrape } from './metrics.js'
import { until } from './until.js'

/**
 * The request-path fuzzer shared by `bench/fuzz.ts` (the long run) and
 * its smoke runs: generators of raw HTTP/1.1 exchanges, a running gateway with
 * one route per policy kind in front of a raw-bytes echo and Express upstreams, and the oracle
 * each case is judged by. The oracle knows the routes through its own segment matcher, never
 * the gateway's router.
 */

interface Teardown { teardown (fn: () => unknown): void }

const SECRET = 'fuzz-hs256-secret-0123456789abcdef0123456789'
const ISSUER = 'https://idp.fuzz/'
const AUDIENCE = 'fuzz-api'
/** Every identity header a client sends carries it: seen upstream, a client posed as someone. */
export const MARK = 'FZMARK'
const BAD_KEY = 'gh_fuzz-unknown-key-000000000000000000000000000'

interface FuzzRoute {
  name: string
  match: string
  methods?: string[]
  /** What the policy requires for a method. */
  needs: (method: string) => { client: boolean, user: boolean }
  websocket?: boolean
}

const routes: FuzzRoute[] = [
  { name: 'pub', match: '/pub/*', needs: () => ({ client: false, user: false }) },
  { name: 'deep', match: '/pub/deep/:a/x', needs: () => ({ client: true, user: false }) },
  { name: 'cli', match: '/cli/:id', methods: ['GET', 'POST'], needs: () => ({ client: true, user: false }) },
  { name: 'usr', match: '/usr/*', needs: () => ({ client: false, user: true }) },
  { name: 'both', match: '/both/*', needs: () => ({ client: true, user: true }) },
  { name: 'mixed', match: '/mixed/*', needs: m => ({ client: false, user: m !== 'GET' && m !== 'HEAD' }) },
  { name: 'ws', match: '/ws/*', needs: () => ({ client: false, user: false }), websocket: true }
]

function configYaml (urls: Record<string, string>): string {
  const policy: Record<string, string> = {
    pub: 'public', deep: 'client', cli: 'client', usr: 'user', both: 'client+user', mixed: '{ GET: public, HEAD: public, "*": user }', ws: 'public'
  }
  return `${TEST_SERVER}  logLevel: warn
  bodyTimeout: 2s
  drainTimeout: 1s
clients:
  - id: android
    apiKeys: [{ hash: "${keyHash(KEYS.android)}" }]
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
  idp: { type: jwt, issuer: "${ISSUER}", audience: ${AUDIENCE}, secret: "${SECRET}", algorithms: [HS256] }
upstreams:
${routes.map(r => `  ${r.name}: { url: "${urls[r.name]}" }`).join('\n')}
routes:
${routes.map(r => `  - match: ${r.match}
    upstream: ${r.name}
    policy: ${policy[r.name]}
    client: [appKey]
    user: [idp]${r.methods === undefined ? '' : `\n    methods: [${r.methods.join(', ')}]`}${r.websocket === true ? '\n    websocket: true' : ''}`).join('\n')}
`
}

// ---------------------------------------------------------------------------------------------
// The independent matcher.

/** Why a target must not reach any upstream, or the route it may reach. */
export type Match = { route: FuzzRoute } | { refused: string }

const UNRESERVED = /%(2[dDeE]|5[fF]|7[eE]|[46][1-9a-fA-F]|[57][0-9aA]|3[0-9])/g

/**
 * The route a target may reach by the rules of docs/routing.md (Path matching), read segment by segment: origin-form only,
 * no `//`, `;`, dot segments (also percent-encoded ones), case-insensitive, one trailing slash
 * ignored, `:p` one non-empty segment, `/*` the prefix and everything below, the most
 * specific pattern first.
 */
export function matchTarget (target: string, method: string): Match {
  if (!target.startsWith('/')) return { refused: 'not origin-form' }
  const q = target.indexOf('?')
  const path = q === -1 ? target : target.slice(0, q)
  if (path.includes('#')) return { refused: 'fragment' }
  if (path.includes('//')) return { refused: 'empty segment' }
  if (path.includes(';')) return { refused: 'semicolon' }
  const decoded = path.replace(UNRESERVED, h => String.fromCharCode(parseInt(h.slice(1), 16)))
  let segs = decoded.split('/').slice(1)
  if (segs.some(s => s === '.' || s === '..')) return { refused: 'dot segment' }
  if (segs.length > 1 && segs[segs.length - 1] === '') segs = segs.slice(0, -1)
  segs = segs.map(s => s.toLowerCase())
  let best: { route: FuzzRoute, score: number[] } | undefined
  for (const route of routes) {
    const pats = route.match.split('/').slice(1)
    const score: number[] = []
    let ok = true
    for (let i = 0; i < pats.length; i++) {
      const p = pats[i]
      if (p === '*') {
        score.push(0)
        break
      }
      const s = segs[i]
      if (s === undefined) { ok = false; break }
      if (p.startsWith(':')) {
        if (s === '') { ok = false; break }
        score.push(1)
      } else if (p === s) score.push(2)
      else { ok = false; break }
    }
    if (ok && !pats.includes('*') && segs.length !== pats.length) ok = false
    if (ok && pats.includes('*') && segs.length < pats.length - 1) ok = false
    if (!ok) continue
    if (best === undefined || compare(score, best.score) > 0) best = { route, score }
  }
  if (best === undefined) return { refused: 'no route' }
  const allowed = best.route.methods
  if (allowed !== undefined && !allowed.includes(method) && !(method === 'HEAD' && allowed.includes('GET'))) return { refused: 'method' }
  return { route: best.route }
}

function compare (a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1)
    if (d !== 0) return d
  }
  return 0
}

// ---------------------------------------------------------------------------------------------
// Generators.

export interface FuzzRequest {
  method: string
  target: string
  version: string
  /** Header lines as sent; X-Fuzz-Id is added when serialised. */
  headers: string[]
  /** The bytes after the head. */
  body: string
  /** The framing said the message is complete (the gateway owes it an answer). */
  complete: boolean
  /** Credentials sent in their canonical form: what the policy may see. */
  key: 'none' | 'valid' | 'bad'
  jwt: 'none' | 'valid' | 'bad'
  upgrade: boolean
}

export interface FuzzCase {
  requests: FuzzRequest[]
  /** How the client's side of the connection ends. */
  ending: { kind: 'wait' } | { kind: 'half-close' } | { kind: 'reset', after: number }
  /** Writes in pieces of this many bytes (0: one write). */
  split: number
}

const segment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', '1', 'x', 'deep', 'Deep', 'alive', 'orders', 'ÿ', '%41', '%7e') },
  { weight: 2, arbitrary: fc.constantFrom('', '.', '..', '%2e', '%2E%2e', '.%2e', '%2f', '%2F..', '%5c', '\\', '..\\', '%00', '%', '%zz', '*', ':id') },
  { weight: 2, arbitrary: fc.constantFrom('x;y', ';a=1', 'a#b', '#', 'a?b', '@', '~', 'a%20b', 'a b', '\t') },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z0-9._~%-]{1,12}$/) },
  { weight: 1, arbitrary: fc.integer({ min: 990, max: 1100 }).map(n => 'p'.repeat(n)) }
)

const prefix = fc.constantFrom('/pub', '/pub/deep', '/cli', '/usr', '/both', '/mixed', '/ws', '/nope', '/PUB', '/Cli', '/pub/', '', '/')

const target = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(prefix, fc.array(segment, { maxLength: 4 }), fc.boolean(), fc.option(fc.constantFrom('q=1', 'a=%2F..', 'api_key=x', '', '#f'), { nil: undefined }))
      .map(([p, segs, slash, query]) => `${p}${segs.map(s => `/${s}`).join('')}${slash ? '/' : ''}${query === undefined ? '' : `?${query}`}`)
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '*',
      'http://127.0.0.1/pub/a',
      'https://evil.test/cli/1',
      '//pub/a',
      'pub/a',
      '',
      ' /pub/a',
      '/pub/a ',
      '/pub/a\x00',
      '/pub/%0d%0aX-Injected:%201'
    )
  }
)

const method = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
  { weight: 1, arbitrary: fc.constantFrom('TRACE', 'CONNECT', 'get', 'FOO', 'G\tET', '', 'PRI', 'M-SEARCH', 'PROPFIND', 'QUERY') }
)

const version = fc.oneof(
  { weight: 20, arbitrary: fc.constant('HTTP/1.1') },
  { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'http/1.1', 'HTTP/1.1 ', 'HTTP/11', '') }
)

const identityName = fc.constantFrom('Remote-User', 'remote-user', 'REMOTE-CLIENT', 'Remote-Scopes', 'Remote-Auth', 'Remote-Identity', 'Remote_User',
  'remote_client', 'Remote-Anything', 'X-Remote_User', 'Remote-User ', ' Remote-User')
const identityHeader = fc.tuple(identityName, fc.constantFrom('alice', 'admin', '', ' x ', 'a,b')).map(([n, v]) => `${n}: ${MARK}${v}`)

const otherName = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'X-Forwarded-For',
      'X-Forwarded-Host',
      'X-Request-Id',
      'Connection',
      'Keep-Alive',
      'TE',
      'Trailer',
      'Proxy-Authorization',
      'Content-Type',
      'Accept',
      'Cookie',
      'Origin',
      'Via',
      'Forwarded',
      'X-Odd',
      'Transfer-Encoding',
      'Content-Length',
      'Expect',
      'Host',
      'Upgrade'
    )
  },
  { weight: 2, arbitrary: fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom('', 'Bad Name', 'Bad:Name', 'X-\x00', 'X-é', 'X-\t', '\tX-Fold') }
)
const otherValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '1',
      'close',
      'keep-alive',
      'upgrade',
      'chunked',
      'trailers',
      'a, b',
      '127.0.0.1',
      'text/plain',
      '100-continue',
      'h2c',
      'websocket'
    )
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('a\r\n b', 'a\x00b', 'a\x7fb', 'ÿþ', ' ', 'x'.repeat(9000), '\r\nX-Injected: 1', 'close, Remote-User') }
)
const otherHeader = fc.tuple(otherName, otherValue).map(([n, v]) => `${n}: ${v}`)

const keyHeader = fc.constantFrom<[FuzzRequest['key'], string[]]>(
  ['none', []],
  ['valid', [`X-API-Key: ${KEYS.android}`]],
  ['bad', [`X-API-Key: ${BAD_KEY}`]],
  ['bad', [`x-api-key: ${KEYS.android}`, `X-API-Key: ${KEYS.android}`]],
  ['bad', [`X-API-Key: ${KEYS.android} x`]],
  ['bad', ['X-API-Key:']],
  ['valid', [`x-api-key:   ${KEYS.android}  `]]
)

const framing = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('cl' as const),
    body: fc.string({ maxLength: 40 }),
    delta: fc.constantFrom(0, 0, 0, 1, -1, 5),
    form: fc.constantFrom('', '', ' ', '+', '0', 'dup', 'dup-diff', 'hex')
  }),
  fc.record({
    kind: fc.constant('te' as const),
    chunks: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 4 }),
    te: fc.constantFrom('chunked', 'chunked', 'Chunked', ' chunked', 'gzip, chunked', 'chunked, gzip', 'identity', 'chunked\t', 'x-chunked'),
    withCl: fc.boolean(),
    bad: fc.constantFrom('', '', '', '', 'size', 'ext', 'last', 'trailer', 'lf')
  }),
  fc.constant({ kind: 'smuggle' as const })
)

type Framing = typeof framing extends fc.Arbitrary<infer F> ? F : never

function frame (f: Framing, method: string): { headers: string[], body: string, complete: boolean } {
  if (f.kind === 'none') return { headers: [], body: '', complete: true }
  if (f.kind === 'smuggle') {
    const inner = 'GET /cli/1 HTTP/1.1\r\nHost: x\r\n\r\n'
    return { headers: ['Content-Length: ' + String(inner.length), 'Transfer-Encoding: chunked'], body: `0\r\n\r\n${inner}`, complete: true }
  }
  if (f.kind === 'cl') {
    const len = Buffer.byteLength(f.body) + f.delta
    const value = f.form === 'hex' ? `0x${len.toString(16)}` : f.form === '+' ? `+${len}` : f.form === '0' ? `0${len}` : `${f.form === ' ' ? ' ' : ''}${len}`
    const headers = [`Content-Length: ${value}`]
    if (f.form === 'dup') headers.push(`Content-Length: ${value}`)
    if (f.form === 'dup-diff') headers.push(`Content-Length: ${len + 1}`)
    return { headers, body: f.body, complete: f.delta <= 0 && method !== 'CONNECT' }
  }
  let body = ''
  for (const c of f.chunks) {
    const size = Buffer.byteLength(c)
    body += `${f.bad === 'size' ? (size + 1).toString(16) : size.toString(16)}${f.bad === 'ext' ? ';x="y' : ''}${f.bad === 'lf' ? '\n' : '\r\n'}${c}\r\n`
  }
  if (f.bad !== 'last') body += `0\r\n${f.bad === 'trailer' ? `Remote-User: ${MARK}\r\nX-API-Key: ${KEYS.android}\r\n` : ''}\r\n`
  const headers = [`Transfer-Encoding: ${f.te}`]
  if (f.withCl) headers.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return { headers, body, complete: f.bad !== 'last' && f.bad !== 'size' }
}

function tidyFraming (f: Framing): Framing {
  if (f.kind === 'cl') return { ...f, delta: 0, form: '' }
  if (f.kind === 'te') return { ...f, te: 'chunked', withCl: false, bad: '' }
  return { kind: 'none' }
}

/** Credentials the generators pick from: a valid and an invalid token. */
export interface Tokens { valid: string, bad: string }

function request (tokens: Tokens): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method,
      target,
      version,
      host: fc.constantFrom('ok', 'ok', 'ok', 'none', 'dup', 'empty', 'odd'),
      identity: fc.array(identityHeader, { maxLength: 3 }),
      other: fc.array(otherHeader, { maxLength: 3 }),
      key: keyHeader,
      jwt: fc.constantFrom<[FuzzRequest['jwt'], string[]]>(
        ['none', []],
        ['valid', [`Authorization: Bearer ${tokens.valid}`]],
        ['bad', [`Authorization: Bearer ${tokens.bad}`]],
        ['bad', [`Authorization: bearer  ${tokens.valid}x`]],
        ['none', ['Authorization: Basic Zm9vOmJhcg==']],
        ['bad', ['Authorization: Bearer']],
        // Node keeps the first of repeated Authorization lines (it drops the rest): the same token twice is that token.
        ['valid', [`Authorization: Bearer ${tokens.valid}`, `Authorization: Bearer ${tokens.valid}`]],
        ['bad', [`Authorization: Bearer ${tokens.bad}`, `Authorization: Bearer ${tokens.valid}`]]
      ),
      upgrade: fc.constantFrom('none', 'none', 'none', 'ws', 'ws-bad', 'h2c', 'other'),
      framing,
      // Half the requests keep their oddities to the target, method, credentials and identity
      // headers, framed well: with every choice odd a third of the time, nearly every request
      // would be refused before routing, and the oracle would see little of what is forwarded.
      tidy: fc.boolean()
    })
    .map(r => {
      if (r.tidy) {
        r.host = 'ok'
        r.version = 'HTTP/1.1'
        r.other = []
        r.identity = r.identity.filter(h => !/^\s|^\S+\s:/.test(h))
        r.upgrade = 'none'
        r.framing = tidyFraming(r.framing)
      }
      const f = frame(r.framing, r.method)
      const hosts = { ok: ['Host: gw.fuzz'], none: [], dup: ['Host: a', 'Host: b'], empty: ['Host:'], odd: ['Host: a b/c'] }
      const up =
        r.upgrade === 'ws'
          ? ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']
          : r.upgrade === 'ws-bad'
            ? ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 7']
            : r.upgrade === 'h2c'
              ? ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA']
              : r.upgrade === 'other'
                ? ['Connection: Upgrade', 'Upgrade: foo/1']
                : []
      return {
        method: r.method,
        target: r.target,
        version: r.version,
        headers: [...hosts[r.host], ...r.identity, ...r.other, ...r.key[1], ...r.jwt[1], ...up, ...f.headers],
        body: f.body,
        complete: f.complete,
        key: r.key[0],
        jwt: r.jwt[0],
        upgrade: r.upgrade === 'ws'
      }
    })
}

/** One exchange on one connection: up to three pipelined requests, then how the client ends. */
export function fuzzCase (tokens: Tokens): fc.Arbitrary<FuzzCase> {
  return fc.record({
    requests: fc.array(request(tokens), { minLength: 1, maxLength: 3 }),
    ending: fc.oneof(
      { weight: 6, arbitrary: fc.constant({ kind: 'wait' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'half-close' as const }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 }).map(after => ({ kind: 'reset' as const, after })) }
    ),
    split: fc.constantFrom(0, 0, 0, 0, 1, 7, 64)
  })
}

export function serialise (c: FuzzCase, id: string): Buffer {
  return Buffer.from(c.requests.map((r, i) =>
    [`${r.method} ${r.target} ${r.version}`, `X-Fuzz-Id: ${id}.${i}`, ...r.headers].join('\r\n') + '\r\n\r\n' + r.body).join(''), 'latin1')
}

// ---------------------------------------------------------------------------------------------
// The running setup and the oracle.

export interface Finding {
  property: string
  detail: string
  /** A finding another branch fixes (a parameter past maxParamLength, a `#` in the target). */
  known: boolean
}

export interface FuzzRig {
  gateway: TestGateway
  tokens: Tokens
  /** Runs one case on its own connection; the findings (empty: it held), those of what it forwarded included. */
  run (c: FuzzCase): Promise<Finding[]>
  /**
   * With no case running: the upstream pools go back to idle (no connection busy, no request
   * queued, read off the gateway's metrics) and a normal request per upstream kind is answered.
   * A case that leaked a pool slot, or wedged a pool, shows here.
   */
  settled (): Promise<Finding[]>
  /** What reached an upstream after its case had ended (it cannot be told apart by a case's result). */
  late (): Finding[]
  /** How many requests the upstreams received in all. */
  readonly forwarded: number
}

interface Seen { upstream: string, head: string, headers: Array<[string, string]>, target: string, method: string }

/** Known on this base and fixed on another branch: a long parameter (414 there) and `#` fragments (400 there). */
function knownIssue (r: FuzzRequest): boolean {
  return r.target.includes('#') || r.target.split(/[/?]/).some(s => s.length > 1000)
}

export async function startFuzzRig (t: Teardown): Promise<FuzzRig> {
  const now = Math.floor(Date.now() / 1000)
  const key = new TextEncoder().encode(SECRET)
  const valid = await new SignJWT({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 86_400 }).setProtectedHeader({ alg: 'HS256' }).sign(key)
  const bad = await new SignJWT({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 86_400 }).setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode('another-secret-0123456789abcdef0123456789'))
  const tokens = { valid, bad }
  /** The cases sent, by id, kept a while: a forwarded request may arrive after its case ended. */
  const sent = new Map<string, FuzzCase>()
  /** The findings of the cases running now, by id: what the upstreams saw is judged as it arrives. */
  const running = new Map<string, Finding[]>()
  /** Findings of cases that had ended (or of no case): reported by late(). */
  const strays: Finding[] = []
  let forwarded = 0
  const record = (s: Seen): void => {
    forwarded++
    const id = s.headers.find(([k]) => k.toLowerCase() === 'x-fuzz-id')?.[1]
    if (id === 'alive.0') return
    const caseId = id?.split('.')[0] ?? ''
    const c = sent.get(caseId)
    if (c === undefined) {
      strays.push({ property: 'nothing unattributed upstream', detail: `${s.upstream} received ${JSON.stringify(s.head.slice(0, 300))}`, known: false })
      return
    }
    const known = c.requests.some(knownIssue)
    const into = running.get(caseId) ?? strays
    const late = into === strays ? `case ${caseId} ${JSON.stringify(c)}, after it ended: ` : ''
    checkForwarded(s, c, (property, detail) => into.push({ property, detail: late + detail, known }))
  }

  const urls: Record<string, string> = {}
  for (const r of routes) {
    if (r.name === 'usr' || r.name === 'ws') {
      urls[r.name] = await expressUpstream(t, r.name, record)
      continue
    }
    const up = await startRawUpstream(t, (req: RawMessage, socket: Socket) => {
      record({ upstream: r.name, head: req.head, headers: req.headers, target: req.target, method: req.method })
      const body = req.head
      socket.write(responseBytes(200, ['Content-Type: text/plain', `X-Upstream: ${r.name}`], req.method === 'HEAD' ? '' : body))
    })
    urls[r.name] = up.url
  }
  const gateway = await startTestGateway(t, configYaml(urls))
  t.teardown(() => control?.destroy())
  const { port } = new URL(gateway.url)
  const open = async (): Promise<RawConnection> => await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: Number(port) }, () => { s.setNoDelay(true); resolve(new RawConnection(s)) })
    s.once('error', reject)
  })

  let next = 0
  const run = async (c: FuzzCase): Promise<Finding[]> => {
    const id = `${process.pid}x${next++}`
    const findings: Finding[] = []
    const isKnown = c.requests.some(knownIssue)
    const fail = (property: string, detail: string): void => { findings.push({ property, detail, known: isKnown }) }
    sent.set(id, c)
    running.set(id, findings)
    sent.delete(`${process.pid}x${next - 5000}`)
    const bytes = serialise(c, id)
    const conn = await open()
    try {
      await send(conn, bytes, c)
      if (c.ending.kind === 'wait') {
        // Answers, in order, as many as the requests the gateway owes one; a close ends it early.
        const owed = c.requests.filter(r => r.complete).length === c.requests.length ? c.requests.length : 0
        for (let i = 0; i < owed; i++) {
          let res: RawMessage
          try {
            do res = await conn.response({ head: c.requests[i].method === 'HEAD', ms: 15_000 })
            while (res.status >= 100 && res.status < 200 && res.status !== 101)
          } catch (err) {
            if (conn.ended) break
            fail('answers or closes', `no answer to request ${i} within 15 s: ${(err as Error).message.slice(0, 200)}`)
            break
          }
          checkResponse(res, c.requests[i], fail)
          if (res.status === 101 || header(res, 'connection')?.toLowerCase() === 'close') break
        }
        if (owed === 0) {
          conn.end()
          if (!await conn.closedWithin(15_000)) fail('answers or closes', 'an incomplete request, then the client\'s end: not closed within 15 s')
        }
      } else if (c.ending.kind === 'half-close') {
        conn.end()
        if (!await conn.closedWithin(15_000)) fail('answers or closes', 'not closed within 15 s of the client\'s end')
      }
    } finally {
      conn.destroy()
      running.delete(id)
    }
    return findings
  }

  /** The upstream pools are not wedged: a normal request per upstream kind (raw, Express) is answered. */
  let control: RawConnection | undefined
  const alive = async (path: [string, string], fail: (p: string, d: string) => void): Promise<void> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (control === undefined || control.ended) control = await open()
      control.write(`GET ${path[0]} HTTP/1.1\r\nHost: gw.fuzz\r\nX-Fuzz-Id: alive.0\r\n${path[1]}\r\n`)
      try {
        const res = await control.response({ ms: 15_000 })
        if (res.status !== 200) fail('pool not wedged', `${path[0]} answered ${res.status} ${res.body.toString().slice(0, 200)}`)
        return
      } catch (err) {
        // A keep-alive connection the gateway closed between two uses is tried once more.
        if (!control.ended || attempt === 1) {
          fail('pool not wedged', `${path[0]}: ${(err as Error).message.slice(0, 200)}`)
          return
        }
      }
    }
  }

  const checkForwarded = (s: Seen, c: FuzzCase, fail: (p: string, d: string) => void): void => {
    const index = Number(s.headers.find(([k]) => k.toLowerCase() === 'x-fuzz-id')?.[1].split('.')[1])
    const r = c.requests[index]
    if (r === undefined) { fail('route', `${s.upstream} received an X-Fuzz-Id the case did not send`); return }
    // Node's parser splits the request line on runs of spaces (RFC 9112 §3 allows it): ` /pub/a`
    // sent after the method's space is the target `/pub/a`.
    const m = matchTarget(r.target.replace(/^ +| +$/g, ''), r.method)
    if ('refused' in m) fail('route', `${s.upstream} received ${r.method} ${JSON.stringify(r.target)}; the matcher refuses it (${m.refused})`)
    else if (m.route.name !== s.upstream) fail('route', `${s.upstream} received ${r.method} ${JSON.stringify(r.target)}; the matcher picks ${m.route.name}`)
    else {
      const forwardedMatch = matchTarget(s.target, s.method)
      if ('refused' in forwardedMatch || forwardedMatch.route.name !== s.upstream) {
        fail('route', `forwarded as ${s.method} ${JSON.stringify(s.target)}: not the path judged (${JSON.stringify(r.target)})`)
      }
      const needs = m.route.needs(r.method)
      const get = (n: string): string | undefined => s.headers.find(([k]) => k.toLowerCase() === n)?.[1]
      if (needs.client && (r.key !== 'valid' || get('remote-client') !== 'android')) {
        fail('policy', `${m.route.name} forwarded ${r.method} without the client (key ${r.key})`)
      }
      if (needs.user && (r.jwt !== 'valid' || get('remote-user') !== 'alice')) {
        fail('policy', `${m.route.name} forwarded ${r.method} without the user (jwt ${r.jwt})`)
      }
    }
    for (const [k, v] of s.headers) {
      if (k.includes('_')) fail('identity', `${s.upstream} received a header named ${JSON.stringify(k)}`)
      if (v.includes(MARK) && /remote/i.test(k)) fail('identity', `${s.upstream} received the client's ${k}: ${JSON.stringify(v.slice(0, 80))}`)
    }
    for (const secret of [KEYS.android, BAD_KEY, tokens.valid, tokens.bad]) {
      if (s.head.includes(secret)) {
        fail(
          'credential',
          `${s.upstream} received a credential in ${JSON.stringify(
            s.head
              .split('\r\n')
              .find(l => l.includes(secret))
              ?.slice(0, 60)
          )}`
        )
      }
    }
  }

  const settled = async (): Promise<Finding[]> => {
    const findings: Finding[] = []
    const fail = (property: string, detail: string): void => { findings.push({ property, detail, known: false }) }
    let pools: Array<{ upstream: string, busy: number, queued: number }> = []
    const idle = async (): Promise<boolean> => {
      const metrics = await scrape(gateway.adminUrl ?? '')
      pools = routes.map(r => ({
        upstream: r.name,
        busy: metrics.value('gatehouse_upstream_connections', { upstream: r.name, state: 'busy' }) ?? -1,
        queued: metrics.value('gatehouse_upstream_queued_requests', { upstream: r.name }) ?? -1
      }))
      return pools.every(p => p.busy === 0 && p.queued === 0)
    }
    // A request the gateway still forwards for a case that ended (its client reset) ends within
    // the upstream's answer or the body timeout (2 s).
    await until('the upstream pools idle', idle, 15_000).catch(() => {
      fail('pool slots back to idle', `15 s after the last case: ${JSON.stringify(pools.filter(p => p.busy !== 0 || p.queued !== 0))}`)
    })
    await alive(['/pub/alive', ''], fail)
    await alive(['/usr/alive', `Authorization: Bearer ${tokens.valid}\r\n`], fail)
    return findings
  }

  return { gateway, tokens, run, settled, late: () => strays.splice(0), get forwarded () { return forwarded } }
}

async function send (conn: RawConnection, bytes: Buffer, c: FuzzCase): Promise<void> {
  const limit = c.ending.kind === 'reset' ? Math.min(c.ending.after, bytes.length) : bytes.length
  // At most 256 writes: a 9 KB header one byte at a time took seconds of a run for no more
  // than what its first 256 pieces show (every boundary in the head's first bytes).
  const step = c.split === 0 ? limit : Math.max(c.split, Math.ceil(limit / 256))
  for (let at = 0; at < limit; at += step) {
    conn.write(bytes.subarray(at, Math.min(limit, at + step)))
    if (c.split !== 0) await new Promise(resolve => setImmediate(resolve))
  }
  if (c.ending.kind === 'reset') conn.socket.resetAndDestroy()
}

function checkResponse (res: RawMessage, r: FuzzRequest, fail: (p: string, d: string) => void): void {
  if (!res.complete) return
  if (Number.isNaN(res.status) || res.status < 100 || res.status > 599) fail('answers or closes', `status line ${JSON.stringify(res.startLine)}`)
  if (res.status >= 500) {
    fail(
      "no 5xx for the client's mistakes",
      `${r.method} ${JSON.stringify(r.target.slice(0, 120))} answered ${res.status} ${res.body.toString().slice(0, 200)}`
    )
  }
  if (res.status >= 400 && !/^application\/problem\+json/.test(header(res, 'content-type') ?? '')) {
    fail('4xx is problem+json', `${res.status} with content-type ${String(header(res, 'content-type'))}`)
  }
}

/** Express (and, on the ws route, a `ws` server) recording every request it is handed. */
async function expressUpstream (t: Teardown, name: string, record: (s: Seen) => void): Promise<string> {
  const fromNode = (req: IncomingMessage): Seen => {
    const headers: Array<[string, string]> = []
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]])
    return {
      upstream: name,
      head: `${req.method ?? ''} ${req.url ?? ''}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`,
      headers,
      target: req.url ?? '',
      method: req.method ?? ''
    }
  }
  const app = express()
  app.use((req, res) => {
    record(fromNode(req))
    req.resume()
    req.on('end', () => res.type('text/plain').set('X-Upstream', name).send('ok'))
  })
  const server: Server = createServer(app)
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws, req) => { record(fromNode(req)); ws.on('error', () => {}) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => {
    for (const ws of wss.clients) ws.terminate()
    wss.close()
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export interface FuzzSummary {
  cases: number
  /** How many cases broke each property, with the first example of each. */
  byProperty: Record<string, { count: number, first: string }>
  seconds: number
  forwarded: number
  /** Case durations (ms): what a run's rate is made of. */
  caseMs: { p50: number, p99: number, max: number, slowest: number }
  /** The first failure: its case (shrunk unless keepGoing), the seed and index that replay it. */
  failure?: { seed: number, index?: number, counterexample: string, findings: Finding[] }
  known: number
}

export interface FuzzOptions {
  cases: number
  seed: number
  /** Cases run at once, each on its own connection. */
  parallel: number
  /** Run only case `replay` of the run at this seed (and shrink it when it fails). */
  replay?: number
  /** Count failures and go on instead of stopping at the first (and shrinking it). */
  keepGoing?: boolean
  /** After this many cases, the run waits for them all and checks the pools settled (rig.settled()). */
  settleEvery?: number
  /** How long fast-check may spend shrinking a failing case. */
  shrinkMs?: number
  /** Epoch ms after which no case is started (a long run bounded in time): `cases` ran is reported. */
  deadline?: number
  onProgress?: (done: number, byProperty: FuzzSummary['byProperty'], known: number) => void
}

/**
 * One fast-check property over one case, run `cases` times at `seed`: case i is its run i, so
 * it replays alone (fast-check's path `i`). The property only starts a case, once fewer than
 * `parallel` are running, and returns; what the cases find is counted as each one ends. A
 * failing case is then replayed alone, where fast-check shrinks it (within shrinkMs). Every
 * `settleEvery` cases the run drains and checks that the pools went back to idle.
 */
export async function fuzz (rig: FuzzRig, options: FuzzOptions): Promise<FuzzSummary> {
  const started = Date.now()
  const arbitrary = fuzzCase(rig.tokens)
  const settleEvery = options.settleEvery ?? 500
  let known = 0
  const byProperty: FuzzSummary['byProperty'] = {}
  const durations: number[] = []
  let slowest = { ms: 0, index: -1 }
  /** Cases that broke a property: their index in the run, the first of them shrunk at the end. */
  const failed: Array<{ index: number, findings: Finding[] }> = []
  let settleFailure: FuzzSummary['failure']
  const count = (findings: Finding[]): Finding[] => {
    const unknown = findings.filter(f => !f.known)
    known += findings.length - unknown.length
    for (const f of unknown) {
      const entry = byProperty[f.property] ?? { count: 0, first: f.detail }
      entry.count++
      byProperty[f.property] = entry
    }
    return unknown
  }
  const found = (): boolean => failed.length > 0 || settleFailure !== undefined
  const stopped = (): boolean => (found() && options.keepGoing !== true) || Date.now() > (options.deadline ?? Infinity)

  if (options.replay !== undefined) {
    let last: Finding[] = []
    const result = await fc.check(fc.asyncProperty(arbitrary, async c => {
      const unknown = count(await rig.run(c))
      if (unknown.length > 0) last = unknown
      return unknown.length === 0
    }), { seed: options.seed, path: String(options.replay), plugins: [fc.interruptAfterTimeLimit(options.shrinkMs ?? 120_000)] })
    const settled = count([...await rig.settled(), ...rig.late()])
    return {
      cases: 1,
      seconds: (Date.now() - started) / 1000,
      byProperty,
      forwarded: rig.forwarded,
      caseMs: { p50: 0, p99: 0, max: 0, slowest: options.replay },
      known,
      ...(result.failed || settled.length > 0
        ? {
            failure: {
              seed: options.seed,
              index: options.replay,
              counterexample: JSON.stringify(result.counterexample, null, 1).slice(0, 4000),
              findings: [...last, ...settled]
            }
          }
        : {})
    }
  }

  const inflight = new Set<Promise<void>>()
  let done = 0
  let index = 0
  const launch = (c: FuzzCase, at: number): void => {
    const begun = Date.now()
    const p = rig.run(c).then(findings => {
      const took = Date.now() - begun
      durations.push(took)
      if (took > slowest.ms) slowest = { ms: took, index: at }
      const unknown = count(findings)
      if (unknown.length > 0) failed.push({ index: at, findings: unknown })
      if (++done % 1000 === 0) options.onProgress?.(done, byProperty, known)
    }).finally(() => inflight.delete(p))
    inflight.add(p)
  }
  const settle = async (from: number): Promise<void> => {
    await Promise.all(inflight)
    const broke = count([...await rig.settled(), ...rig.late()])
    if (broke.length > 0 && settleFailure === undefined) {
      settleFailure = { seed: options.seed, index: from, counterexample: `one of cases ${from} to ${index - 1} (or what they forwarded)`, findings: broke }
    }
  }
  let settledAt = 0
  // Nothing in the property fails but the stop (a failure found, or the deadline): endOnFailure
  // ends the run there, without generating the cases not run.
  await fc.check(fc.asyncProperty(arbitrary, async c => {
    if (stopped()) return false
    while (inflight.size >= options.parallel) await Promise.race(inflight)
    if (index - settledAt >= settleEvery) {
      await settle(settledAt)
      settledAt = index
    }
    launch(c, index++)
    return true
  }), { seed: options.seed, numRuns: options.cases, endOnFailure: true })
  await settle(settledAt)

  let failure = settleFailure
  const first = failed.sort((a, b) => a.index - b.index)[0]
  if (first !== undefined) {
    // Replayed alone (the run's other cases no longer beside it) and shrunk.
    const replayed = await fuzz(rig, { ...options, replay: first.index })
    failure = replayed.failure ?? { seed: options.seed, index: first.index, counterexample: 'did not fail again when replayed alone', findings: first.findings }
  }
  durations.sort((a, b) => a - b)
  const at = (p: number): number => durations[Math.min(durations.length - 1, Math.floor(durations.length * p))] ?? 0
  return {
    cases: done,
    seconds: (Date.now() - started) / 1000,
    byProperty,
    forwarded: rig.forwarded,
    caseMs: { p50: at(0.5), p99: at(0.99), max: slowest.ms, slowest: slowest.index },
    known,
    ...(failure === undefined ? {} : { failure })
  }
}
