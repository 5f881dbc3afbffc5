import { writeSync } from 'node:fs'
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

/** Printable ASCII but `"` and `\`: JSON writes it as it is, between quotes. */
const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/**
 * `JSON.stringify` of a string, the same text: an access line's values (ids, paths, names) are
 * nearly always plain ASCII, and quoting those needs no serializer call.
 */
export function jsonString (value: string): string {
  return JSON_PLAIN.test(value) ? `"${value}"` : JSON.stringify(value)
}

/** Where an access log's lines go: a stream that takes each line (a test's), or {@link StdoutBatches}. */
interface LineSink {
  write: (text: string) => unknown
  /** What still waits, written before the process exits. */
  flushSync?: () => void
}

/**
 * The per-request access line's writer: pino's format (`level`, `time`, `service`, `pid`, the
 * fields, `msg`), written by the caller from its fields ({@link AccessLog.head} + fields +
 * {@link AccessLog.end}), without pino: no object per line, no serializer walk, no redaction
 * (the line is built from fixed fields, ids, codes, the path without its query, that no redact
 * path names). On stdout lines go out in batches of about 3 KiB, at least every 100 ms, through
 * {@link StdoutBatches}; a batch is one string appended to, never a growing buffer measured
 * again per line. A batch stays under PIPE_BUF (4 KiB), so it never interleaves with the other
 * lines on a pipe, and those (startup, reloads, errors) are never held back. Any other
 * destination (a test's stream) gets each line as written.
 */
export class AccessLog {
  /** False when the logger's level drops `info`: the caller then builds no line. */
  readonly enabled: boolean
  private readonly prefix: string
  private batch = ''

  constructor (level: string, private readonly destination: LineSink, private readonly batched: boolean) {
    this.enabled = pino.levels.values[level] !== undefined && (pino.levels.values[level] as number) <= 30
    this.prefix = `,"service":"gatehouse","pid":${process.pid}`
    if (batched) {
      setInterval(() => { this.flush() }, BATCH_MS).unref()
      process.once('exit', () => {
        this.flush()
        this.destination.flushSync?.()
      })
    }
  }

  /** The line up to its first field: `{"level":30,"time":…,"service":"gatehouse","pid":…`. */
  head (): string {
    return `{"level":30,"time":${Date.now()}${this.prefix}`
  }

  /** Ends a line begun with {@link head} and writes it. */
  end (line: string, msg: string): void {
    this.write(`${line},"msg":${jsonString(msg)}}\n`)
  }

  /** A line from an object's fields (undefined ones left out, as pino does). */
  info (fields: Record<string, unknown>, msg: string): void {
    if (!this.enabled) return
    const json = JSON.stringify(fields)
    this.end(json === '{}' ? this.head() : `${this.head()},${json.slice(1, -1)}`, msg)
  }

  private write (line: string): void {
    if (!this.batched) {
      this.destination.write(line)
      return
    }
    if (this.batch.length + line.length > BATCH_MAX) this.flush()
    this.batch += line
    if (this.batch.length >= BATCH_MIN) this.flush()
  }

  private flush (): void {
    if (this.batch === '') return
    const batch = this.batch
    this.batch = ''
    this.destination.write(batch)
  }
}

/** Batches of at least this many characters are written at once, and never more than BATCH_MAX (PIPE_BUF) unless one line is. */
const BATCH_MIN = 3072
const BATCH_MAX = 4096
const BATCH_MS = 100

/**
 * Access-log batches to stdout through `process.stdout`, one write at a time. Node writes a
 * file there at once and a pipe or socket from the event loop (tried at once, the rest when
 * the pipe drains): neither goes through the thread pool, whose round trip per batch (pino's
 * asynchronous destination) cost more CPU per request than building the lines (bench/RESULTS.md).
 * A batch waits while the one before it is still being written, so two never go out as one
 * writev past PIPE_BUF. A reader gone away (EPIPE) costs the log, never the process.
 */
export class StdoutBatches implements LineSink {
  private readonly queued: string[] = []
  private writing = false
  private broken = false
  private readonly written = (err?: Error | null): void => {
    if (err != null) this.broken = true
    this.writing = false
    const next = this.queued.shift()
    if (next !== undefined) this.write(next)
  }

  constructor (private readonly out: NodeJS.WritableStream = process.stdout, private readonly fd = 1) {
    out.on('error', () => { this.broken = true })
  }

  write (batch: string): void {
    if (this.broken) return
    if (this.writing) {
      this.queued.push(batch)
      return
    }
    this.writing = true
    this.out.write(batch, this.written)
  }

  /** At exit: what still waits is written synchronously, as far as the descriptor takes it. */
  flushSync (): void {
    if (this.broken) return
    for (const batch of this.queued.splice(0)) {
      try {
        writeSync(this.fd, batch)
      } catch {
        return
      }
    }
  }
}

/** The access log of a logger's destination: one per destination for the life of the process (every reload's app writes through it). */
export function accessLogger (logger: Logger): AccessLog {
  const stream = (logger as unknown as Record<symbol, DestinationStream & { fd?: unknown }>)[pino.symbols.streamSym]
  let access = accessLogs.get(stream)
  if (access === undefined) {
    access = stream.fd === 1 ? new AccessLog(logger.level, new StdoutBatches(), true) : new AccessLog(logger.level, stream, false)
    accessLogs.set(stream, access)
  }
  return access
}

const accessLogs = new WeakMap<object, AccessLog>()
