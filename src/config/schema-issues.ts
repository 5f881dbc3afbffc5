import { Value } from '@sinclair/typebox/value'
import { AUTHENTICATOR_SCHEMAS, ConfigSchema, type RawConfig } from './schema.js'
import { AUTHENTICATOR_NAME, AUTHENTICATOR_TYPES, POLICIES, type AuthenticatorType } from './names.js'

type Segment = string | number

function pointerToSegments (pointer: string, data: unknown): Segment[] {
  if (pointer === '') return []
  let cursor: unknown = data
  return pointer.slice(1).split('/').map(raw => {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const seg: Segment = Array.isArray(cursor) ? Number(key) : key
    cursor = cursor !== null && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[key] : undefined
    return seg
  })
}

const UNION_MESSAGES: Array<[RegExp, string]> = [
  [/^\/routes\/\d+\/policy$/, `must be one of ${POLICIES.join(', ')}, or a map of method (or "*") to one of them`],
  [/^\/server\/(bodyLimit|buffer\/(requestBody|response|total))$/, 'must be a size: bytes, or a number with B, KB, MB, GB, KiB, MiB or GiB'],
  [/^\/cache\/local\/maxSize$/, 'must be a size of at least 64KiB: bytes, or a number with B, KB, MB, GB, KiB, MiB or GiB'],
  [/^\/cache\/redis$/, 'must be a redis:// URL, { cluster: [...] } or { sentinels: [...], name }'],
  [/^\/server\/admin$/, 'must be host:port, or false'],
  [/^\/routes\/\d+\/rateLimit\/by$/, 'must be one of client, user, ip, client+user'],
  [/^\/routes\/\d+\/rateLimit\/onRedisError$/, 'must be open (let requests through) or closed (answer 503)']
]

/** Authenticator keys whose schema errors get their own words: [type, path, when missing, when wrong]. */
const AUTHENTICATOR_MESSAGES: Array<[AuthenticatorType, RegExp, string, string]> = [
  [
    'jwt',
    /^\/audience(\/|$)/,
    'the audience (API identifier) its tokens must be issued for, or audience: false to accept tokens issued for any API, on purpose',
    'must be a string, a list of strings, or false'
  ]
]

/**
 * What is wrong with a config the compiled checkers refused, key by key, in the operator's
 * words: `add` locates each message in the YAML. Loaded only for a config that fails.
 */
export function schemaErrors (data: unknown, add: (segments: Segment[], message: string, atKey?: boolean) => void): void {
  const reported = new Set<string>()
  const authenticators = (data as RawConfig | null)?.authenticators
  for (const e of Value.Errors(ConfigSchema, data)) {
    // Authenticators are checked against the schema of their own type below: clearer messages.
    if (/^\/authenticators\/[^/]+/.test(e.path)) continue
    if ([...reported].some(p => e.path.startsWith(`${p}/`) || e.path === p)) continue
    reported.add(e.path)
    const segments = pointerToSegments(e.path, data)
    const union = UNION_MESSAGES.find(([re]) => re.test(e.path))
    // A missing key is "required" whatever its type: a union's "must be one of" is for a wrong value.
    if (e.message === 'Unexpected property') add(segments, 'unknown key', true)
    else if (e.message === 'Expected required property') {
      add(segments, union === undefined ? 'is required' : `is required: ${union[1].replace(/^must be /, '')}`, true)
    } else if (union !== undefined) add(segments, union[1])
    // A value format's title says what was expected; a key's description says what the key is for.
    else if (typeof e.schema.title === 'string' && e.message.startsWith('Expected string to match')) {
      add(segments, `bad value ${JSON.stringify(e.value)}: expected ${e.schema.title.charAt(0).toLowerCase()}${e.schema.title.slice(1)}`)
    } else add(segments, e.message.charAt(0).toLowerCase() + e.message.slice(1))
  }
  if (authenticators !== null && typeof authenticators === 'object' && !Array.isArray(authenticators)) {
    for (const [name, spec] of Object.entries(authenticators as Record<string, unknown>)) {
      const base: Segment[] = ['authenticators', name]
      if (!AUTHENTICATOR_NAME.test(name)) add(base, 'authenticator names are letters, digits and . _ : -', true)
      const type = (spec as { type?: unknown } | null)?.type
      if (typeof type !== 'string' || !AUTHENTICATOR_TYPES.includes(type as AuthenticatorType)) {
        add(type === undefined ? base : [...base, 'type'], `type must be one of ${AUTHENTICATOR_TYPES.join(', ')}`, type === undefined)
        continue
      }
      const seen = new Set<string>()
      for (const e of Value.Errors(AUTHENTICATOR_SCHEMAS[type as AuthenticatorType], spec)) {
        if (seen.has(e.path)) continue
        seen.add(e.path)
        const segments = [...base, ...pointerToSegments(e.path, spec)]
        const special = AUTHENTICATOR_MESSAGES.find(([t, re]) => t === type && re.test(e.path))
        if (e.message === 'Unexpected property') add(segments, `unknown key for a ${type} authenticator`, true)
        else if (special !== undefined && e.message === 'Expected required property') {
          add(segments, `is required for a ${type} authenticator: ${special[2]}`, true)
        } else if (special !== undefined) add(segments, special[3])
        else if (e.message === 'Expected required property') add(segments, `is required for a ${type} authenticator`, true)
        else add(segments, e.message.charAt(0).toLowerCase() + e.message.slice(1))
      }
    }
  }
}
