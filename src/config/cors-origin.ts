const LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?'
const PATTERN_SHAPE = /^(https?):\/\/((\*|[a-z0-9-]+)(\.(\*|[a-z0-9-]+))*)(:(\*|[0-9]{1,5}))?$/

/**
 * One entry of `origins`, as an exact origin or a pattern; a string for an entry it cannot
 * take. In a pattern, `*` stands for one DNS label of the host (`https://*.example.com`
 * matches `https://app.example.com`, not `https://a.b.example.com` nor `https://example.com`)
 * or for any port (`http://localhost:*`). The last label of the host is never a `*`: a
 * pattern always names the site it trusts.
 */
export function parseOrigin (entry: string): { exact: string } | { pattern: RegExp } | string {
  if (entry === '*') return 'the any-origin "*" is an entry of its own, not part of a list'
  if (entry === 'null') return '"null" is the origin of sandboxed frames, data: URLs and redirects: any site can send it, so it is never allowed'
  if (!entry.includes('*')) {
    let url: URL
    try {
      url = new URL(entry)
    } catch {
      return `"${entry}" is not an origin (scheme://host[:port])`
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry.toLowerCase().replace(/\/$/, '')) {
      return `"${entry}" is not an origin: write scheme://host[:port], with no path, query or default port`
    }
    return { exact: url.origin }
  }
  const lower = entry.toLowerCase()
  const shape = PATTERN_SHAPE.exec(lower)
  if (shape === null) return `"${entry}" is not an origin pattern: write scheme://host[:port] where * stands for one host label or the port`
  const labels = (shape[2] as string).split('.')
  if (labels[labels.length - 1] === '*') return `"${entry}" ends its host with *: a pattern must name the site it trusts (https://*.example.com)`
  const host = labels.map(l => l === '*' ? LABEL : l).join('\\.')
  const port = shape[7] === undefined ? '' : shape[7] === '*' ? '(:[0-9]{1,5})?' : `:${shape[7]}`
  return { pattern: new RegExp(`^${shape[1] as string}://${host}${port}$`) }
}
