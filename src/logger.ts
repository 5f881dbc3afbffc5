import pino, { type DestinationStream, type Logger } from 'pino'

export type { Logger }

/**
 * Paths pino blanks in every log line: credentials must never reach a log, even when an
 * error object or a request is logged whole.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'req.headers["x-client-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["x-client-token"]',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.clientSecret',
  '*.secret',
  '*.password',
  '*.apiKey'
]

export function createLogger (level: string, extraHeaders: readonly string[] = [], destination?: DestinationStream): Logger {
  const paths = [...REDACT_PATHS, ...extraHeaders.map(h => `req.headers["${h.toLowerCase()}"]`)]
  const options = { level, redact: { paths, censor: '[redacted]' }, base: { service: 'gatehouse', pid: process.pid } }
  // stdout is written off the request path (lines that pile up while a write is in flight go
  // out together), never held back: operators and tests read lines as they happen. pino
  // flushes what is buffered when the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }))
}

/**
 * The logger of the per-request access line: the same level, without redaction. The line is
 * built from fixed fields (ids, codes, the path without its query) that no redact path names,
 * so redacting it cost a walk per request and blanked nothing. On stdout its lines go out in
 * batches of about 3 KiB, at least every 100 ms: one write per request was a thread-pool round
 * trip per request. A batch stays under PIPE_BUF (4 KiB), so it never interleaves with the
 * other lines on a pipe, and those (startup, reloads, errors) are never held back.
 */
export function accessLogger (logger: Logger): Logger {
  const stream = (logger as unknown as Record<symbol, DestinationStream & { fd?: unknown }>)[pino.symbols.streamSym]
  // One per destination for the life of the process: every reload's app writes through it.
  let access = accessLoggers.get(stream)
  if (access === undefined) {
    const destination = stream.fd === 1 ? pino.destination({ dest: 1, sync: false, minLength: 3072, periodicFlush: 100 }) : stream
    access = pino({ level: logger.level, base: { service: 'gatehouse', pid: process.pid } }, destination)
    accessLoggers.set(stream, access)
  }
  return access
}

const accessLoggers = new WeakMap<object, Logger>()
