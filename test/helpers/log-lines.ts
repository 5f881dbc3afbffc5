import { Writable } from 'node:stream'
import { createLogger, type Logger } from '../../src/logger.js'

/** A logger at `level` whose JSON lines are kept, parsed, in `lines`: what a test asserts was logged. */
export function capturedLogger (level: 'debug' | 'info' = 'info'): { logger: Logger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const logger = createLogger(level, [], new Writable({
    write (chunk: Buffer, _e, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      cb()
    }
  }))
  return { logger, lines }
}
