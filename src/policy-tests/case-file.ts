import { LineCounter, parseDocument, type Document } from 'yaml'
import { positionOf } from '../config/yaml-position.js'

/** A case file problem, located like a config error: `file:line:col path: message`. */
export interface CaseIssue {
  file: string
  line: number
  col: number
  path: string
  message: string
}

export class CaseFileError extends Error {
  constructor (readonly issues: CaseIssue[]) {
    super(issues.map(formatCaseIssue).join('\n'))
  }
}

export function formatCaseIssue (i: CaseIssue): string {
  return `${i.file}:${i.line}:${i.col} ${i.path === '' ? '' : `${i.path}: `}${i.message}`
}

/** The calling app, as a case names it: a credential gatehouse makes for that client, or headers as sent. */
export type ClientCredential =
  | { apiKey: string }
  | { clientToken: string, scopes?: string[] }
  | { certificate: string }

/** The user, as a case names it: a credential gatehouse makes for the named authenticator. */
export type UserCredential =
  | { jwt: string, sub: string, scopes?: string[], azp?: string, claims?: Record<string, unknown>, expiresIn?: number }
  | { userToken: string, user: string, scopes?: string[], client?: string }
  | { introspection: string, sub: string, scopes?: string[], active?: boolean, claims?: Record<string, unknown> }
  | { session: string, user: string, scopes?: string[], claims?: Record<string, unknown> }

export interface CaseRequest {
  method: string
  path: string
  /** Header lines as sent, in order; repeated names repeat. */
  headers: string[]
  peer: string | undefined
  /** Over TLS (a client certificate case implies it). */
  tls: boolean
  client: ClientCredential | undefined
  user: UserCredential | undefined
}

export type CaseExpectation =
  | { allow: true, route?: string, headers?: Record<string, string | null>, path?: string }
  | { deny: number, code?: string, stage?: string }
  | { login: true }

export interface PolicyCase {
  name: string
  request: CaseRequest
  expect: CaseExpectation
  /** Where the case starts in its file, for reports. */
  file: string
  line: number
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Segment = string | number

const METHODS = /^[A-Z]+$/
const DURATION = /^([0-9]+)(ms|s|m|h|d)$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

class Reader {
  readonly issues: CaseIssue[] = []
  constructor (readonly file: string, private readonly doc: Document, private readonly lines: LineCounter) {}

  locate (segments: readonly Segment[], atKey = false): { line: number, col: number } {
    return positionOf(this.doc, this.lines, segments, atKey)
  }

  add (segments: readonly Segment[], message: string, atKey = false): undefined {
    const { line, col } = this.locate(segments, atKey)
    this.issues.push({ file: this.file, line, col, path: segments.map((s, i) => typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`).join(''), message })
    return undefined
  }
}

const isObject = (v: Json | undefined): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v)

function only (r: Reader, at: Segment[], value: { [k: string]: Json }, keys: readonly string[]): boolean {
  let ok = true
  for (const k of Object.keys(value)) {
    if (!keys.includes(k)) ok = r.add([...at, k], `unknown key (expected one of ${keys.join(', ')})`, true) ?? false
  }
  return ok
}

function str (r: Reader, at: Segment[], v: Json | undefined, what = 'a string'): string | undefined {
  return typeof v === 'string' && v !== '' ? v : r.add(at, `must be ${what}`)
}

function strings (r: Reader, at: Segment[], v: Json | undefined): string[] | undefined {
  if (v === undefined) return undefined
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(s => s !== '')
  if (Array.isArray(v) && v.every(s => typeof s === 'string')) return v as string[]
  return r.add(at, 'must be a list of strings')
}

function claims (r: Reader, at: Segment[], v: Json | undefined): Record<string, unknown> | undefined {
  if (v === undefined) return undefined
  return isObject(v) ? v : r.add(at, 'must be a mapping of claim to value')
}

function readClient (r: Reader, at: Segment[], v: Json | undefined): ClientCredential | undefined {
  if (v === undefined) return undefined
  if (!isObject(v)) return r.add(at, 'must be { apiKey: CLIENT }, { clientToken: CLIENT } or { certificate: CLIENT }')
  if (typeof v.apiKey === 'string' && only(r, at, v, ['apiKey'])) return { apiKey: v.apiKey }
  if (typeof v.clientToken === 'string' && only(r, at, v, ['clientToken', 'scopes'])) {
    return { clientToken: v.clientToken, scopes: strings(r, [...at, 'scopes'], v.scopes) }
  }
  if (typeof v.certificate === 'string' && only(r, at, v, ['certificate'])) return { certificate: v.certificate }
  return r.add(at, 'must be { apiKey: CLIENT }, { clientToken: CLIENT } or { certificate: CLIENT }')
}

function duration (r: Reader, at: Segment[], v: Json | undefined): number | undefined {
  if (v === undefined) return undefined
  const m = typeof v === 'string' ? DURATION.exec(v) : null
  if (m === null) return r.add(at, 'must be a duration: 30s, 5m, 1h')
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number)
}

function readUser (r: Reader, at: Segment[], v: Json | undefined): UserCredential | undefined {
  if (v === undefined) return undefined
  const shape =
    'must be { jwt: AUTHENTICATOR, sub }, { userToken: AUTHENTICATOR, user }, { introspection: AUTHENTICATOR, sub } or { session: AUTHENTICATOR, user }'
  if (!isObject(v)) return r.add(at, shape)
  if (typeof v.jwt === 'string') {
    if (!only(r, at, v, ['jwt', 'sub', 'scopes', 'azp', 'claims', 'expiresIn'])) return undefined
    const sub = str(r, [...at, 'sub'], v.sub)
    return sub === undefined
      ? undefined
      : {
          jwt: v.jwt,
          sub,
          scopes: strings(r, [...at, 'scopes'], v.scopes),
          azp: v.azp === undefined ? undefined : str(r, [...at, 'azp'], v.azp),
          claims: claims(r, [...at, 'claims'], v.claims),
          expiresIn: duration(r, [...at, 'expiresIn'], v.expiresIn)
        }
  }
  if (typeof v.userToken === 'string') {
    if (!only(r, at, v, ['userToken', 'user', 'scopes', 'client'])) return undefined
    const user = str(r, [...at, 'user'], v.user)
    return user === undefined
      ? undefined
      : {
          userToken: v.userToken,
          user,
          scopes: strings(r, [...at, 'scopes'], v.scopes),
          client: v.client === undefined ? undefined : str(r, [...at, 'client'], v.client)
        }
  }
  if (typeof v.introspection === 'string') {
    if (!only(r, at, v, ['introspection', 'sub', 'scopes', 'active', 'claims'])) return undefined
    const sub = str(r, [...at, 'sub'], v.sub)
    if (v.active !== undefined && typeof v.active !== 'boolean') return r.add([...at, 'active'], 'must be true or false')
    return sub === undefined
      ? undefined
      : {
          introspection: v.introspection,
          sub,
          scopes: strings(r, [...at, 'scopes'], v.scopes),
          active: v.active,
          claims: claims(r, [...at, 'claims'], v.claims)
        }
  }
  if (typeof v.session === 'string') {
    if (!only(r, at, v, ['session', 'user', 'scopes', 'claims'])) return undefined
    const user = str(r, [...at, 'user'], v.user)
    return user === undefined
      ? undefined
      : { session: v.session, user, scopes: strings(r, [...at, 'scopes'], v.scopes), claims: claims(r, [...at, 'claims'], v.claims) }
  }
  return r.add(at, shape)
}

function readHeaders (r: Reader, at: Segment[], v: Json | undefined): string[] {
  if (v === undefined) return []
  if (!isObject(v)) return r.add(at, 'must be a mapping of header name to a value or a list of values') ?? []
  const out: string[] = []
  for (const [name, value] of Object.entries(v)) {
    const values = Array.isArray(value) ? value : [value]
    for (const one of values) {
      if (typeof one !== 'string' && typeof one !== 'number') {
        r.add([...at, name], 'must be a string, or a list of strings (one per header line)')
        continue
      }
      out.push(name, String(one))
    }
  }
  return out
}

function readRequest (r: Reader, at: Segment[], v: Json | undefined): CaseRequest | undefined {
  if (!isObject(v)) return r.add(at, 'must be a mapping with method and path', true)
  if (!only(r, at, v, ['method', 'path', 'headers', 'peer', 'tls', 'client', 'user'])) return undefined
  const method =
    typeof v.method === 'string' && METHODS.test(v.method.toUpperCase())
      ? v.method.toUpperCase()
      : r.add([...at, 'method'], 'must be an HTTP method (GET, POST, ...)', v.method === undefined)
  const path =
    typeof v.path === 'string' && v.path !== '' ? v.path : r.add([...at, 'path'], 'must be the request target as sent: /path?query', v.path === undefined)
  if (v.tls !== undefined && typeof v.tls !== 'boolean') r.add([...at, 'tls'], 'must be true or false')
  const client = readClient(r, [...at, 'client'], v.client)
  if (method === undefined || path === undefined) return undefined
  return {
    method,
    path,
    headers: readHeaders(r, [...at, 'headers'], v.headers),
    peer: v.peer === undefined ? undefined : str(r, [...at, 'peer'], v.peer, 'an IP address'),
    tls: v.tls === true || (client !== undefined && 'certificate' in client),
    client,
    user: readUser(r, [...at, 'user'], v.user)
  }
}

function readExpect (r: Reader, at: Segment[], v: Json | undefined): CaseExpectation | undefined {
  const shape = 'must be { allow: true, route, headers }, { deny: STATUS, code } or { login: true }'
  if (!isObject(v)) return r.add(at, shape, true)
  if (v.allow !== undefined) {
    if (v.allow !== true) return r.add([...at, 'allow'], 'must be true (write deny: STATUS for a refusal)')
    if (!only(r, at, v, ['allow', 'route', 'headers', 'path'])) return undefined
    let headers: Record<string, string | null> | undefined
    if (v.headers !== undefined) {
      if (!isObject(v.headers)) return r.add([...at, 'headers'], 'must be a mapping of header name to its value (null: must be absent)')
      headers = {}
      for (const [name, value] of Object.entries(v.headers)) {
        if (value !== null && typeof value !== 'string' && typeof value !== 'number') {
          r.add([...at, 'headers', name], 'must be the value the upstream receives, or null for absent')
        } else headers[name] = value === null ? null : String(value)
      }
    }
    return {
      allow: true,
      route: v.route === undefined ? undefined : str(r, [...at, 'route'], v.route, 'a route pattern'),
      headers,
      path: v.path === undefined ? undefined : str(r, [...at, 'path'], v.path)
    }
  }
  if (v.deny !== undefined) {
    if (typeof v.deny !== 'number' || !Number.isInteger(v.deny) || v.deny < 400 || v.deny > 599) {
      return r.add([...at, 'deny'], 'must be the HTTP status of the refusal (400-599)')
    }
    if (!only(r, at, v, ['deny', 'code', 'stage'])) return undefined
    return {
      deny: v.deny,
      code: v.code === undefined ? undefined : str(r, [...at, 'code'], v.code, 'a problem code'),
      stage: v.stage === undefined ? undefined : str(r, [...at, 'stage'], v.stage)
    }
  }
  if (v.login !== undefined) {
    if (v.login !== true) return r.add([...at, 'login'], 'must be true')
    if (!only(r, at, v, ['login'])) return undefined
    return { login: true }
  }
  return r.add(at, shape)
}

/** Parses one case file; throws CaseFileError naming file, line, column and key for every problem found. */
export function parseCaseFile (text: string, file: string): PolicyCase[] {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const r = new Reader(file, doc, lines)
  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0])
    r.issues.push({ file, line, col, path: '', message: `YAML: ${e.message.split('\n')[0] as string}` })
  }
  if (r.issues.length > 0) throw new CaseFileError(r.issues)
  const data = doc.toJS({ maxAliasCount: 100 }) as Json
  if (!isObject(data) || !Array.isArray(data.cases)) {
    throw new CaseFileError([{ file, line: 1, col: 1, path: '', message: 'a case file is a mapping with a list of cases: cases: [{ name, request, expect }]' }])
  }
  only(r, [], data, ['cases'])
  const out: PolicyCase[] = []
  const names = new Set<string>()
  data.cases.forEach((c, i) => {
    const at: Segment[] = ['cases', i]
    if (!isObject(c)) return r.add(at, 'must be a mapping with name, request and expect')
    if (!only(r, at, c, ['name', 'request', 'expect'])) return
    const name = str(r, [...at, 'name'], c.name)
    if (name !== undefined && names.has(name)) r.add([...at, 'name'], `another case is named "${name}"`)
    if (name !== undefined) names.add(name)
    const request = readRequest(r, [...at, 'request'], c.request)
    const expect = readExpect(r, [...at, 'expect'], c.expect)
    if (name !== undefined && request !== undefined && expect !== undefined) out.push({ name, request, expect, file, line: r.locate(at).line })
  })
  if (r.issues.length > 0) throw new CaseFileError(r.issues)
  return out
}
