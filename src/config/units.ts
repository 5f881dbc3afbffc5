const DURATION = /^([0-9]+)(ms|s|m|h|d)$/
const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** `500ms`, `30s`, `5m`, `1h`, `7d` to milliseconds; the schema has already checked the form. */
export function parseDuration (text: string): number {
  const m = DURATION.exec(text)
  if (m === null) throw new RangeError(`not a duration: ${text}`)
  return Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS]
}

const SIZE = /^([0-9]+)(B|KB|MB|GB|KiB|MiB|GiB)?$/
const SIZE_BYTES = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const

export function parseSize (value: number | string): number {
  if (typeof value === 'number') return value
  const m = SIZE.exec(value)
  if (m === null) throw new RangeError(`not a size: ${value}`)
  return Number(m[1]) * SIZE_BYTES[(m[2] ?? 'B') as keyof typeof SIZE_BYTES]
}

/** A date alone means the end of that day (UTC): a key "expires 2027-06-30" works through that day. */
export function parseExpiry (text: string): number {
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return Date.parse(`${text}T23:59:59.999Z`)
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw new RangeError(`not a date: ${text}`)
  return ms
}

/** `host:port`, `[::1]:port` or `:port`. */
export function parseHostPort (text: string): { host: string, port: number } {
  const i = text.lastIndexOf(':')
  let host = text.slice(0, i)
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  return { host: host === '' ? '0.0.0.0' : host, port: Number(text.slice(i + 1)) }
}
