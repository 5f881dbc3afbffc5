import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, formatIssue } from '../src/config/load.js'
import { loadConfig } from '../src/load-config.js'
import { createLogger } from '../src/logger.js'
import { systemClock } from '../src/clock.js'
import { CaseFileError, formatCaseIssue, parseCaseFile, type PolicyCase } from '../src/policy-tests/case-file.js'
import { CaseSetupError } from '../src/policy-tests/harness.js'
import { starterCases } from '../src/policy-tests/init.js'
import { jsonReport, junitReport, textReport } from '../src/policy-tests/report.js'
import { changes, runCases } from '../src/policy-tests/run.js'

export const TEST_USAGE =
  'usage: gatehouse test [-c gateway.config.yaml] CASES.yaml… [--against OLD.yaml] ' +
    '[--json] [--junit FILE]\n       gatehouse test --init [-c gateway.config.yaml] [FILE]\n'

export interface TestIo {
  stdout: { write: (s: string) => unknown }
  stderr: { write: (s: string) => unknown }
  env: NodeJS.ProcessEnv
}

/** Exit codes: 0 every case passed, 1 a case failed, 2 a config or case file error, 3 passed but --against found a request now allowed that was refused. */
export async function testCommand (args: string[], io: TestIo): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        against: { type: 'string' },
        json: { type: 'boolean' },
        junit: { type: 'string' },
        init: { type: 'boolean' }
      }
    })
  } catch (err) {
    io.stderr.write(`gatehouse test: ${(err as Error).message}\n${TEST_USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const configFile = values.config ?? io.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml'
  const fail = (lines: string[]): number => {
    for (const l of lines) io.stderr.write(`${l}\n`)
    return 2
  }
  try {
    const config = await loadConfig(configFile)
    if (values.init === true) {
      const text = starterCases(config)
      if (positionals[0] === undefined) io.stdout.write(text)
      else {
        await writeFile(positionals[0], text, { flag: 'wx' })
        io.stderr.write(`wrote ${positionals[0]}\n`)
      }
      return 0
    }
    if (positionals.length === 0) {
      io.stderr.write(TEST_USAGE)
      return 2
    }
    const cases: PolicyCase[] = []
    const issues: string[] = []
    for (const file of positionals) {
      try {
        cases.push(...parseCaseFile(await readFile(file, 'utf8'), file))
      } catch (err) {
        if (!(err instanceof CaseFileError)) throw err
        issues.push(...err.issues.map(formatCaseIssue))
      }
    }
    if (issues.length > 0) return fail(issues)
    const logger = createLogger('silent')
    const results = await runCases(config, cases, { logger, clock: systemClock })
    const old = values.against === undefined ? undefined : await runCases(await loadConfig(resolve(values.against)), cases, { logger, clock: systemClock })
    const changed = old === undefined ? undefined : changes(old, results)
    io.stdout.write(values.json === true ? jsonReport(results, changed) : textReport(results, changed))
    if (values.junit !== undefined) await writeFile(values.junit, junitReport(results))
    if (results.some(r => !r.passed)) return 1
    return changed?.some(c => c.widens) === true ? 3 : 0
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.issues.map(formatIssue))
    if (err instanceof CaseSetupError) return fail([`gatehouse test: ${err.message}`])
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EEXIST') {
      return fail([`gatehouse test: ${(err as Error).message}`])
    }
    throw err
  }
}
