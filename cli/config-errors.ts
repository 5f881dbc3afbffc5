import { isAbsolute, relative } from 'node:path'
import { ConfigError, formatIssue } from '../src/config/load.js'

/** A config path as the operator typed it: relative to the working directory, unless it lies outside it. */
export function shown (file: string): string {
  const rel = relative(process.cwd(), file)
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel
}

/** A config error as `file:line:col key: message` lines on stderr, exit code 1; anything else is rethrown. */
export function reportConfigError (err: unknown): number {
  if (err instanceof ConfigError) {
    for (const issue of err.issues) process.stderr.write(`${formatIssue({ ...issue, file: shown(issue.file) })}\n`)
    return 1
  }
  throw err
}
