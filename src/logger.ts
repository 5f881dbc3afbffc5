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
  const options = { level, redact: { paths, censor: '[redacted]' }, base: { service: 'gatehouse' } }
  // stdout is written off the request path and in batches: a write per access line was the
  // largest single cost of a proxied request. A quiet gateway's lines still appear within
  // 100 ms; pino flushes what is buffered when the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }))
}
