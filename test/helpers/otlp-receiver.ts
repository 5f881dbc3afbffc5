import { createServer, type IncomingMessage } from 'node:http'
import { freePort } from './ports.js'

interface Teardown { teardown (fn: () => unknown): void }

/** One span as an OTLP/HTTP JSON export carries it, its attributes flattened. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string | undefined
  name: string
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number
  attributes: Record<string, unknown>
  status: { code?: number, message?: string }
  /** The exporting service's resource attributes. */
  resource: Record<string, unknown>
}

export interface OtlpReceiver {
  /** The collector's base URL, as `telemetry.otlp.endpoint` takes it. */
  url: string
  spans: ReceivedSpan[]
  /** Content types of the export requests received. */
  contentTypes: string[]
  /** Waits until a span satisfies `test` (or fails after `timeoutMs`). */
  waitFor (test: (s: ReceivedSpan) => boolean, timeoutMs?: number): Promise<ReceivedSpan>
}

interface AnyValue { stringValue?: string, intValue?: number | string, boolValue?: boolean, doubleValue?: number }
type KeyValues = Array<{ key: string, value: AnyValue }> | undefined

function flat (attributes: KeyValues): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const { key, value } of attributes ?? []) {
    out[key] = value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)) ?? value.boolValue ?? value.doubleValue
  }
  return out
}

async function bodyOf (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A real OTLP/HTTP trace receiver: a node http server taking POST /v1/traces in the JSON encoding. */
export async function startOtlpReceiver (t: Teardown): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const contentTypes: string[] = []
  const port = await freePort()
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end()
      return
    }
    contentTypes.push(String(req.headers['content-type']))
    bodyOf(req).then(text => {
      const body = JSON.parse(text) as {
        resourceSpans?: Array<{ resource?: { attributes?: KeyValues }, scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }>
      }
      for (const rs of body.resourceSpans ?? []) {
        const resource = flat(rs.resource?.attributes)
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: s.traceId as string,
              spanId: s.spanId as string,
              parentSpanId: s.parentSpanId === '' ? undefined : s.parentSpanId as string | undefined,
              name: s.name as string,
              kind: s.kind as number,
              attributes: flat(s.attributes as KeyValues),
              status: (s.status ?? {}) as ReceivedSpan['status'],
              resource
            })
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    }, () => res.writeHead(400).end())
  })
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    async waitFor (test, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const found = spans.find(test)
        if (found !== undefined) return found
        if (Date.now() > until) throw new Error(`no such span among ${spans.map(s => s.name).join(', ')}`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
  }
}
