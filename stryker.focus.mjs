// stryker.config.json with the test files narrowed to those of the file under mutation
// (MUTATE_TESTS, comma-separated globs of built files): the dry run and every mutant then
// run only the tests written for it. With MUTATE_EVENTS set, every mutant's result is also
// written to that folder as soon as it is known (Stryker's event-recorder), so a run stopped
// early still says which mutants survived. Usage in docs/testing.md.
import { readFileSync } from 'node:fs'

const base = JSON.parse(readFileSync(new URL('./stryker.config.json', import.meta.url), 'utf8'))
const tests = process.env.MUTATE_TESTS
if (tests === undefined || tests === '') throw new Error('MUTATE_TESTS: the built test files to run, e.g. dist/test/unit/jwt-*.test.js')
const events = process.env.MUTATE_EVENTS

export default {
  ...base,
  tap: { ...base.tap, testFiles: tests.split(',') },
  ...(events === undefined || events === '' ? {} : { reporters: [...base.reporters, 'event-recorder'], eventReporter: { baseDir: events } })
}
