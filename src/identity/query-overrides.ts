const BRACKETS = /\[.*$/
const NOT_ALPHANUMERIC = /[^a-z0-9]/g
const SEPARATOR = /[&;]/

/**
 * A query parameter name as the frameworks that read a method override fold it: PHP turns
 * `.` and spaces into `_` and `_method[]` into an array under `_method`, Rack splits on `;`
 * too. So a name is compared decoded, lower-cased, without a `[...]` suffix, every character
 * that is not a letter or digit alike.
 */
function foldParamName (raw: string): string {
  let name = raw.replace(/\+/g, ' ')
  try {
    name = decodeURIComponent(name)
  } catch {
    // Not decodable: compared as sent.
  }
  return name.toLowerCase().replace(BRACKETS, '').replace(NOT_ALPHANUMERIC, '_')
}

/** The `stripOverrides` entries that name query parameters (`?_method`), as one test on a raw parameter name. */
export function overrideParamMatcher (entries: readonly string[]): (rawName: string) => boolean {
  const names = new Set(entries.filter(e => e.startsWith('?')).map(e => foldParamName(e.slice(1))))
  return rawName => names.size > 0 && names.has(foldParamName(rawName))
}

/**
 * The query without the parameters `isOverride` names, every other parameter kept byte for
 * byte (re-encoding could change what the upstream reads); unchanged when none is present.
 */
export function withoutOverrideParams (query: string, isOverride: (rawName: string) => boolean): string {
  if (query === '') return query
  const kept: string[] = []
  let separator = ''
  let dropped = false
  let start = 0
  for (let i = 0; i <= query.length; i++) {
    if (i < query.length && !SEPARATOR.test(query.charAt(i))) continue
    const piece = query.slice(start, i)
    const eq = piece.indexOf('=')
    if (piece !== '' && isOverride(eq === -1 ? piece : piece.slice(0, eq))) {
      dropped = true
    } else {
      kept.push(kept.length === 0 ? piece : separator + piece)
    }
    separator = query.charAt(i)
    start = i + 1
  }
  return dropped ? kept.join('') : query
}
