import { randomFillSync } from 'node:crypto'

/** A W3C `traceparent` (https://www.w3.org/TR/trace-context/), its fields as lowercase hex. */
export interface TraceParent {
  traceId: string
  parentId: string
  /** Two hex digits; bit 0 is `sampled`. */
  flags: string
}

/** The trace a request belongs to, and what goes upstream when the gateway records no span of its own. */
export interface RequestTrace {
  traceId: string
  /** The caller's trace context; undefined when it sent none, or one that was malformed (then replaced). */
  parent: TraceParent | undefined
  /** The `traceparent` the upstream gets while no span is recorded: the caller's, or a new trace's. */
  traceparent: string
  /** The caller's `tracestate`, kept only alongside its valid `traceparent`. */
  tracestate: string | undefined
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)
/** The spec asks vendors to pass on at least this much `tracestate`; more is dropped, not cut mid-entry. */
const MAX_TRACESTATE = 512
/** Most list members a `tracestate` may carry. */
const MAX_TRACESTATE_MEMBERS = 32
/** A `simple-key` or a `tenant-id@system-id` multi-tenant key. */
const TRACESTATE_KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/
/** Printable ASCII but `,` and `=`, spaces inside, not at the end. */
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/
const OWS = /^[ \t]+|[ \t]+$/g
/** A new trace is sampled: the upstream's own parent-based sampler then records it, as it would without the gateway. */
const NEW_TRACE_FLAGS = '01'

/**
 * The caller's `traceparent`, or undefined when absent or malformed. A later version is
 * read as version 00 (its first four fields), as the spec asks; version ff, an all-zero id
 * and a repeated header (Node joins it with a comma) are malformed.
 */
export function parseTraceparent (value: string | string[] | undefined): TraceParent | undefined {
  if (typeof value !== 'string') return undefined
  const m = TRACEPARENT.exec(value)
  if (m === null) return undefined
  const [, version, traceId, parentId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined]
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined
  return { traceId, parentId, flags }
}

export function formatTraceparent (traceId: string, spanId: string, flags: string): string {
  return `00-${traceId}-${spanId}-${flags}`
}

/**
 * The caller's `tracestate` as passed on: kept whole when it is a list the W3C grammar
 * allows (at most 32 `key=value` members with distinct keys, 512 characters), else dropped
 * whole: an upstream's tracer then never parses what the gateway let through unchecked.
 */
export function acceptTracestate (value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(',') : value
  if (text === undefined || text === '' || text.length > MAX_TRACESTATE) return undefined
  const keys = new Set<string>()
  for (const raw of text.split(',')) {
    const member = raw.replace(OWS, '')
    if (member === '') continue
    const eq = member.indexOf('=')
    if (eq === -1) return undefined
    const key = member.slice(0, eq)
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(member.slice(eq + 1)) || keys.has(key)) return undefined
    keys.add(key)
    if (keys.size > MAX_TRACESTATE_MEMBERS) return undefined
  }
  return keys.size === 0 ? undefined : text
}

// Ids come from one buffer of random bytes refilled when spent: one system call per few hundred requests.
const pool = Buffer.allocUnsafe(4096)
let offset = pool.length

function randomHex (bytes: number, zero: string): string {
  for (;;) {
    if (offset + bytes > pool.length) {
      randomFillSync(pool)
      offset = 0
    }
    const hex = pool.toString('hex', offset, offset + bytes)
    offset += bytes
    if (hex !== zero) return hex
  }
}

export const newTraceId = (): string => randomHex(16, ZERO_TRACE)

const HEX = '0123456789abcdef'
const uuid = Buffer.from('xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx', 'latin1')
/** Where each of a UUID's 32 hex digits goes, the version digit (always 4) left out. */
const UUID_DIGITS = [...uuid.keys()].filter(i => uuid[i] !== 0x2d && i !== 14)

/**
 * A random (version 4) UUID from the same pool of random bytes, written as one string: node's
 * `randomUUID` builds its text from sixteen pieces, a request id per request.
 */
export function newUuid (): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  for (let k = 0; k < 31; k++) {
    // 31 digits from 16 bytes: the high nibble of each byte, then the low one; the variant digit is 8, 9, a or b.
    const byte = pool[offset + (k >> 1)] as number
    const nibble = (k & 1) === 0 ? byte >> 4 : byte & 15
    uuid[UUID_DIGITS[k] as number] = HEX.charCodeAt(k === 15 ? 8 | (nibble & 3) : nibble)
  }
  offset += 16
  return uuid.toString('latin1')
}
export const newSpanId = (): string => randomHex(8, ZERO_SPAN)

/** The trace of a request from its headers: the caller's continued, or a new one started. */
export function requestTrace (headers: Readonly<Record<string, string | string[] | undefined>>): RequestTrace {
  const value = headers.traceparent
  const parent = parseTraceparent(value)
  if (parent === undefined) {
    const traceId = newTraceId()
    return { traceId, parent, traceparent: formatTraceparent(traceId, newSpanId(), NEW_TRACE_FLAGS), tracestate: undefined }
  }
  return {
    traceId: parent.traceId,
    parent,
    // A version 00 header is passed on as it came; a later version is written as 00.
    traceparent: (value as string).startsWith('00-') ? value as string : formatTraceparent(parent.traceId, parent.parentId, parent.flags),
    tracestate: acceptTracestate(headers.tracestate)
  }
}
