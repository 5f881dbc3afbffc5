import { register } from 'node:module'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/**
 * `node --import <this file>` with GATEHOUSE_LOADED_MODULES=FILE: every module the process
 * loads is listed in FILE (one URL a line) by ./loaded-modules-hook.ts.
 */
const file = process.env.GATEHOUSE_LOADED_MODULES
if (file !== undefined && file !== '') register('./loaded-modules-hook.js', import.meta.url, { data: { file } })

/** This file, built: what a child process is started with (`--import`). */
export const RECORD_LOADED_MODULES = join(import.meta.dirname, 'loaded-modules.js')

/** The packages (`ioredis`, `@opentelemetry/api`) among the URLs recorded in `file`. */
export function loadedPackages (file: string): Set<string> {
  const names = new Set<string>()
  for (const url of readFileSync(file, 'utf8').split('\n')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
    if (m !== null) names.add(m[1] as string)
  }
  return names
}

/** The gatehouse modules recorded in `file`, as paths under dist/ (`src/auth/mtls.js`). */
export function loadedOwnModules (file: string): Set<string> {
  const paths = new Set<string>()
  for (const url of readFileSync(file, 'utf8').split('\n')) {
    const m = /\/dist\/((?:cli|runtime|http|src)\/.+\.js)$/.exec(url)
    if (m !== null && !url.includes('/node_modules/')) paths.add(m[1] as string)
  }
  return paths
}

/**
 * The packages and gatehouse modules a process running the bundle evaluated, from the V8
 * coverage it wrote (`NODE_V8_COVERAGE=dir`): esbuild wraps each module of gatehouse.cjs in a
 * function named for its path (`node_modules/ioredis/built/index.js`, `dist/src/auth/mtls.js`),
 * called when the module is first needed; the packages left out of it (scripts/bundle.mjs) are
 * scripts of their own, under node_modules.
 */
export function evaluatedModules (coverageDir: string): { packages: Set<string>, own: Set<string> } {
  const packages = new Set<string>()
  const own = new Set<string>()
  const inPackage = (path: string): void => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)
    if (m !== null) packages.add(m[1] as string)
  }
  for (const name of readdirSync(coverageDir).filter(n => n.endsWith('.json'))) {
    const { result } = JSON.parse(readFileSync(join(coverageDir, name), 'utf8')) as Coverage
    for (const script of result) {
      if (!script.url.endsWith('/dist/bundle/gatehouse.cjs')) {
        inPackage(script.url)
        continue
      }
      for (const fn of script.functions) {
        if ((fn.ranges[0]?.count ?? 0) === 0) continue
        inPackage(fn.functionName)
        const m = /^dist\/((?:cli|runtime|http|src)\/\S+\.js)$/.exec(fn.functionName)
        if (m !== null) own.add(m[1] as string)
      }
    }
  }
  return { packages, own }
}

interface Coverage { result: Array<{ url: string, functions: Array<{ functionName: string, ranges: Array<{ count: number }> }> }> }
