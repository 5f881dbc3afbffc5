import { call } from './http.js'

export interface Scrape {
  text: string
  contentType: string | undefined
  /** The sample's value, or undefined when the series is absent; labels must match exactly those given. */
  value (name: string, labels?: Record<string, string>): number | undefined
}

function parseLabels (text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out[m[1]] = m[2]
  return out
}

/** GET /metrics on the admin listener, parsed from the Prometheus text format. */
export async function scrape (adminUrl: string): Promise<Scrape> {
  const res = await call(`${adminUrl}/metrics`)
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  const samples: Array<{ name: string, labels: Record<string, string>, value: number }> = []
  for (const line of res.text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null) throw new Error(`not a sample line: ${line}`)
    samples.push({ name: m[1], labels: parseLabels(m[2] ?? ''), value: Number(m[3]) })
  }
  return {
    text: res.text,
    contentType: res.headers['content-type'] as string | undefined,
    value (name, labels = {}) {
      const want = Object.entries(labels)
      const found = samples.find(s => s.name === name && Object.keys(s.labels).length === want.length && want.every(([k, v]) => s.labels[k] === v))
      return found?.value
    }
  }
}

/** An upstream's pool off gatehouse_upstream_connections and _queued_requests (-1: absent). */
export async function upstreamPool (adminUrl: string, upstream: string): Promise<{ busy: number, idle: number, queued: number }> {
  const s = await scrape(adminUrl)
  return {
    busy: s.value('gatehouse_upstream_connections', { upstream, state: 'busy' }) ?? -1,
    idle: s.value('gatehouse_upstream_connections', { upstream, state: 'idle' }) ?? -1,
    queued: s.value('gatehouse_upstream_queued_requests', { upstream }) ?? -1
  }
}
