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

/** What a Redis command's span says of it (OpenTelemetry semantic conventions for databases). */
export const redisSpanAttributes = (command: string): SpanAttributes => ({ 'db.system.name': 'redis', 'db.operation.name': command })

/**
 * `fn` in a CLIENT span when the gateway traces (`tracer` set): for origin calls off the hot path
 * (JWKS, discovery, introspection). Without a tracer nothing of the SDK is loaded and a call
 * pays one comparison.
 */
export async function traced<T> (tracer: Tracer | undefined, name: string, attributes: SpanAttributes, fn: () => Promise<T>): Promise<T> {
  return tracer === undefined ? await fn() : await tracer.inSpan(name, 'client', attributes, fn)
}
