/**
 * The OpenTelemetry SDK behind the gateway's Tracer. Imported only when `telemetry.otlp` is
 * configured (runtime/server.ts loads it dynamically): a gateway without it never loads the SDK.
 */
import {
  context,
  createTraceState,
  diag,
  DiagLogLevel,
  SpanKind,
  SpanStatusCode,
  trace,
  ROOT_CONTEXT,
  TraceFlags,
  type Attributes,
  type Span
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base'
import type { TelemetryConfig } from '../config/types.js'
import type { Logger } from '../logger.js'
import { formatTraceparent, type TraceParent } from './trace-context.js'
import type { RequestSpan, SpanAttributes, Tracer } from './tracing.js'

/** The longest a shutdown waits for the last spans to be exported. */
const SHUTDOWN_WAIT_MS = 2000

function attributesOf (attributes: SpanAttributes): Attributes {
  const out: Attributes = {}
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) out[key] = value
  }
  return out
}

function flagsOf (span: Span): string {
  return (span.spanContext().traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00'
}

function endSpan (span: Span, status: number, attributes: SpanAttributes): void {
  span.setAttributes(attributesOf({ 'http.response.status_code': status, ...attributes }))
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
  span.end()
}

/** The traces endpoint from the configured one: a collector's base URL gets OTLP/HTTP's `/v1/traces`. */
function tracesUrl (endpoint: string): string {
  return /\/v1\/traces\/?$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/traces`
}

export function createOtlpTracer (cfg: TelemetryConfig, logger: Logger): Tracer {
  // The SDK's own complaints (an export the collector refused or never answered) reach the gateway's log.
  const log = logger.child({ component: 'otlp' })
  diag.setLogger({
    error: (message: string) => log.error(message),
    warn: (message: string) => log.warn(message),
    info: () => {},
    debug: () => {},
    verbose: () => {}
  }, DiagLogLevel.WARN)
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  const exporter = new OTLPTraceExporter({ url: tracesUrl(cfg.endpoint), headers: cfg.headers, timeoutMillis: 10_000 })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': cfg.serviceName }),
    // The caller's sampling decision stands; a trace the gateway starts is kept at `sampleRatio`.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(cfg.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: cfg.exportIntervalMs })]
  })
  const tracer = provider.getTracer('gatehouse')

  return {
    startRequest (name, parent: TraceParent | undefined, tracestate, attributes): RequestSpan {
      const parentContext = parent === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: parent.traceId,
          spanId: parent.parentId,
          traceFlags: Number.parseInt(parent.flags, 16) & TraceFlags.SAMPLED,
          isRemote: true,
          ...(tracestate === undefined ? {} : { traceState: createTraceState(tracestate) })
        })
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: attributesOf(attributes) }, parentContext)
      const spanContext = trace.setSpan(parentContext, span)
      let upstream: Span | undefined
      return {
        run: fn => context.with(spanContext, fn),
        startUpstream (upstreamName, upstreamAttributes) {
          upstream = tracer.startSpan(upstreamName, { kind: SpanKind.CLIENT, attributes: attributesOf(upstreamAttributes) }, spanContext)
          const sc = upstream.spanContext()
          return formatTraceparent(sc.traceId, sc.spanId, flagsOf(upstream))
        },
        end (status, endAttributes) {
          if (upstream !== undefined) endSpan(upstream, status, {})
          endSpan(span, status, endAttributes)
        }
      }
    },
    async inSpan (name, kind, attributes, fn) {
      return await tracer.startActiveSpan(
        name,
        { kind: kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes: attributesOf(attributes) },
        async span => {
          try {
            return await fn()
          } catch (err) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) })
            throw err
          } finally {
            span.end()
          }
        }
      )
    },
    async shutdown () {
      // A collector that is down must not hold up a shutdown: what cannot be sent in time is dropped.
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<void>(resolve => { timer = setTimeout(resolve, SHUTDOWN_WAIT_MS).unref() })
      await Promise.race([
        provider.shutdown().catch((err: unknown) => log.warn({ error: (err as Error).message }, 'the last spans could not be exported')),
        late
      ])
      clearTimeout(timer)
      context.disable()
      diag.disable()
    }
  }
}
