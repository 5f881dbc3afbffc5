import fc from 'fast-check'

/**
 * Route patterns that overlap the way an ops team writes them: a public wildcard beside a
 * protected route below it, a static segment beside a parameter, two parameters in a row.
 */
export const PATTERNS = [
  '/v/*',
  '/v/:version/admin/*',
  '/api/*',
  '/api/users/:id',
  '/api/users/:id/orders/:order',
  '/api/users/me',
  '/files/:name'
]

/** What the gateway must do with a path: serve it by one pattern, or refuse it with a code. */
export type Expected = { route: number, params: Record<string, string> } | { refused: 'ambiguous_path' | 'uri_too_long' | 'not_found' }

const ENCODED_TRAVERSAL = /%2e|%2f|%5c/i
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/

/**
 * An independent reading of `path` against `patterns`, one segment at a time, as the
 * routing docs describe it: case-insensitive, one trailing slash ignored, percent-encodings
 * decoded per segment; a static segment is preferred to a parameter, a parameter to a
 * wildcard, and a later segment decides only between patterns equal so far.
 */
export function expectedRoute (patterns: readonly string[], path: string, maxParamLength: number): Expected {
  if (path.includes('//') || ENCODED_TRAVERSAL.test(path) || DOT_SEGMENT.test(path)) return { refused: 'ambiguous_path' }
  let decoded: string[]
  try {
    decoded = path.split('/').slice(1).map(s => decodeURIComponent(s))
  } catch {
    return { refused: 'not_found' }
  }
  if (decoded.join('/').toLowerCase().length !== decoded.join('/').length) return { refused: 'ambiguous_path' }
  if (decoded.length > 1 && decoded[decoded.length - 1] === '') decoded.pop()
  let best: { rank: number[], route: number, params: Record<string, string> } | undefined
  for (const [route, pattern] of patterns.entries()) {
    const params: Record<string, string> = {}
    const rank = matchSegments(pattern.split('/').slice(1), decoded, params)
    if (rank !== undefined && (best === undefined || before(rank, best.rank))) best = { rank, route, params }
  }
  if (best === undefined) return { refused: 'not_found' }
  if (Object.values(best.params).some(v => v.length > maxParamLength)) return { refused: 'uri_too_long' }
  return { route: best.route, params: best.params }
}

/** Per segment, 0 for a static match, 1 for a parameter, 2 for the wildcard; undefined when the pattern does not match. */
function matchSegments (pattern: string[], segments: string[], params: Record<string, string>): number[] | undefined {
  const rank: number[] = []
  for (const [i, p] of pattern.entries()) {
    if (p === '*') {
      // `/v/*` covers `/v` itself and everything below it.
      if (segments.length < i) return undefined
      rank.push(2)
      return rank
    }
    const s = segments[i]
    if (s === undefined) return undefined
    if (p.startsWith(':')) {
      if (s === '') return undefined
      params[p.slice(1)] = s
      rank.push(1)
    } else {
      if (s.toLowerCase() !== p.toLowerCase()) return undefined
      rank.push(0)
    }
  }
  return segments.length === pattern.length ? rank : undefined
}

function before (a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? -1) !== (b[i] ?? -1)) return (a[i] ?? -1) < (b[i] ?? -1)
  }
  return false
}

const PLAIN = 'abcXYZ019-_.~'.split('')
/** Characters sent percent-encoded: letters a static segment may hide, and non-ASCII ones whose case folds oddly (é, İ, the Kelvin sign). */
const ENCODED = ['a', 'D', 'é', 'İ', '\u212a', '%', ' ', '/', '.']

function encodeChar (c: string, upper: boolean): string {
  const hex = [...Buffer.from(c)].map(b => '%' + b.toString(16).padStart(2, '0')).join('')
  return upper ? hex.toUpperCase() : hex
}

/** A segment's text as sent: some characters percent-encoded, in either hex case. */
function spelled (text: string): fc.Arbitrary<string> {
  return fc.array(fc.tuple(fc.nat(5), fc.boolean()), { minLength: text.length, maxLength: text.length })
    .map(choices => [...text].map((c, i) => {
      const [pick, upper] = choices[i] as [number, boolean]
      return pick === 0 ? encodeChar(c, upper) : c
    }).join(''))
}

/** A static segment as a client may write it: in any case, some letters percent-encoded. */
function staticSegment (text: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map(flips => [...text].map((c, i) => flips[i] === true ? c.toUpperCase() : c).join(''))
    .chain(spelled)
}

/** A parameter's value, short or far over `maxParamLength`, with characters sent plain or encoded. */
function parameterSegment (maxParamLength: number): fc.Arbitrary<string> {
  const char = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...PLAIN) },
    { weight: 1, arbitrary: fc.constantFrom(...ENCODED).chain(c => fc.boolean().map(upper => encodeChar(c, upper))) }
  )
  const around = fc.oneof(
    fc.nat(maxParamLength + 2),
    fc.integer({ min: maxParamLength - 1, max: maxParamLength + 1 }),
    fc.integer({ min: 0, max: maxParamLength * 3 })
  )
  return around.chain(n => fc.array(char, { minLength: n, maxLength: n })).map(cs => cs.join(''))
}

/**
 * Paths built from `patterns`' segments: each pattern segment spelled as a client could
 * (a static in any case or encoded, a parameter of any length, the wildcard's rest of 0 to
 * 3 segments), sometimes a segment swapped for another pattern's, a trailing or a double slash.
 */
export function pathFrom (patterns: readonly string[], maxParamLength: number): fc.Arbitrary<string> {
  const words = [...new Set(patterns.flatMap(p => p.split('/').slice(1)).filter(s => !s.startsWith(':') && s !== '*'))]
  const segment = (p: string): fc.Arbitrary<string> => p.startsWith(':') || p === '*'
    ? parameterSegment(maxParamLength)
    : fc.oneof({ weight: 5, arbitrary: staticSegment(p) }, { weight: 1, arbitrary: fc.constantFrom(...words).chain(staticSegment) })
  return fc.constantFrom(...patterns).chain(pattern => {
    const parts = pattern.split('/').slice(1)
    const wildcard = parts[parts.length - 1] === '*'
    const fixed = wildcard ? parts.slice(0, -1) : parts
    const rest = wildcard ? fc.array(segment('*'), { maxLength: 3 }) : fc.constant([])
    return fc.tuple(fc.tuple(...fixed.map(segment)), rest, fc.constantFrom('', '', '', '/', '//'))
      .map(([head, tail, end]) => '/' + [...head, ...tail].join('/') + end)
  })
}
