import { describe, describeExpectation, type CaseResult, type Change } from './run.js'

/** One line per case, then what failed: for a terminal and a CI log. */
export function textReport (results: readonly CaseResult[], changed: readonly Change[] | undefined): string {
  const lines: string[] = []
  for (const r of results) {
    lines.push(`${r.passed ? 'ok  ' : 'FAIL'} ${r.case.name}  (${r.case.file}:${r.case.line})`)
    if (!r.passed) {
      lines.push(`       expected: ${describeExpectation(r.case.expect)}`)
      lines.push(`       actual:   ${describe(r.actual)}`)
      for (const m of r.mismatches) lines.push(`       - ${m}`)
    }
  }
  const failed = results.filter(r => !r.passed).length
  lines.push('', `${results.length - failed} passed, ${failed} failed`)
  if (changed !== undefined) {
    lines.push(
      '',
      changed.length === 0
        ? 'against the old config: no decision changes'
        : `against the old config: ${changed.length} decision${changed.length === 1 ? '' : 's'} change`
    )
    for (const c of changed) lines.push(`  ${c.widens ? 'WIDENS ' : 'changes'} ${c.name}: ${c.what}`)
  }
  return `${lines.join('\n')}\n`
}

export function jsonReport (results: readonly CaseResult[], changed: readonly Change[] | undefined): string {
  return `${JSON.stringify(
    {
      passed: results.filter(r => r.passed).length,
      failed: results.filter(r => !r.passed).length,
      cases: results.map(r => ({
        name: r.case.name,
        file: r.case.file,
        line: r.case.line,
        passed: r.passed,
        expected: r.case.expect,
        actual: r.actual,
        mismatches: r.mismatches
      })),
      ...(changed === undefined ? {} : { changes: changed.map(c => ({ name: c.name, widens: c.widens, what: c.what, before: c.before, after: c.after })) })
    },
    null,
    2
  )}\n`
}

const xml = (s: string): string => s.replace(/[<>&"']/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string)

/** JUnit XML, as GitHub Actions, GitLab CI and Jenkins read test reports: one testsuite per case file. */
export function junitReport (results: readonly CaseResult[]): string {
  const byFile = new Map<string, CaseResult[]>()
  for (const r of results) byFile.set(r.case.file, [...(byFile.get(r.case.file) ?? []), r])
  const failures = results.filter(r => !r.passed).length
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="gatehouse policy tests" tests="${results.length}" failures="${failures}">`]
  for (const [file, rs] of byFile) {
    out.push(`  <testsuite name="${xml(file)}" tests="${rs.length}" failures="${rs.filter(r => !r.passed).length}">`)
    for (const r of rs) {
      out.push(`    <testcase name="${xml(r.case.name)}" classname="${xml(file)}" file="${xml(file)}" line="${r.case.line}">`)
      if (!r.passed) {
        out.push(
          `      <failure message="${xml(r.mismatches[0] ?? 'failed')}">${xml('expected: ' +
            `${describeExpectation(r.case.expect)}\nactual: ${describe(r.actual)}\n${r.mismatches.join('\n')}`)}</failure>`
        )
      }
      out.push('    </testcase>')
    }
    out.push('  </testsuite>')
  }
  out.push('</testsuites>')
  return `${out.join('\n')}\n`
}
