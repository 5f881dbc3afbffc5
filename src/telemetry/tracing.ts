import type { TraceParent } from './trace-context.js'

export type SpanAttributes = Record<string, string | number | boolean | undefined>

/** The span of one request through the gateway (kind SERVER), a child of the caller's trace context. */
export interface RequestSpan {
  /** Runs `fn` with this span as the active one: spans started inside it are its children. */
  run<T> (fn: () => T): T
  /** Starts the span of the call to the upstream (kind CLIENT); its `traceparent` is what the upstream is sent. */
  startUpstream (name: string, attributes: SpanAttributes): string
  /** Ends the upstream span (if started) and this one; a status of 500 or more marks them as errors. */
  end (status: number, attributes: SpanAttributes): void
}

/** Where spans go when `telemetry.otlp` is set: the OpenTelemetry SDK (src/telemetry/otlp.ts). */
export interface Tracer {
  startRequest (name: string, parent: TraceParent | undefined, tracestate: string | undefined, attributes: SpanAttributes): RequestSpan
  /** `fn` inside a child span of the active one; a throw marks the span as an error. */
  inSpan<T> (name: string, kind: 'internal' | 'client', attributes: SpanAttributes, fn: () => Promise<T>): Promise<T>
  /** Exports what is buffered, then stops. */
  shutdown (): Promise<void>
}

/**
 * The process's tracer, or undefined (the default): then nothing of the SDK is loaded and
 * the request path pays one comparison per place a span could start.
 */
let active: Tracer | undefined

export function currentTracer (): Tracer | undefined {
  return active
}

export function setTracer (tracer: Tracer | undefined): void {
  active = tracer
}

/** What a Redis command's span says of it (OpenTelemetry semantic conventions for databases). */
export const redisSpanAttributes = (command: string): SpanAttributes => ({ 'db.system.name': 'redis', 'db.operation.name': command })

/** `fn` in a CLIENT span when tracing: for origin calls off the hot path (JWKS, discovery, introspection). */
export async function traced<T> (name: string, attributes: SpanAttributes, fn: () => Promise<T>): Promise<T> {
  return active === undefined ? await fn() : await active.inSpan(name, 'client', attributes, fn)
}
