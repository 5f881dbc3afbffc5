import { register } from 'node:module'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { subscribe } from 'node:diagnostics_channel'
import { join } from 'node:path'
import { takeCoverage } from 'node:v8'

/**
 * `node --import <this file>` with GATEHOUSE_LOADED_MODULES=FILE: every module the process
 * loads is listed in FILE (one URL a line) by ./loaded-modules-hook.ts.
 */
const file = process.env.GATEHOUSE_LOADED_MODULES
if (file !== undefined && file !== '') {
  register('./loaded-modules-hook.js', import.meta.url, { data: { file } })
  // Node's own modules, whoever required them, as they are when a request comes in (the
  // /healthz that tells the gateway is up): written before it is answered.
  const loaded = (process as unknown as { moduleLoadList: string[] }).moduleLoadList
  subscribe('http.server.request.start', () => {
    writeFileSync(builtinsFile(file), loaded.join('\n'))
    // With NODE_V8_COVERAGE: which functions ran so far, the bundle's module bodies among them.
    if (process.env.NODE_V8_COVERAGE !== undefined) takeCoverage()
  })
}

/** Where the recorder of `file` lists Node's own modules loaded (`NativeModule http2`). */
export function builtinsFile (file: string): string {
  return `${file}.builtins`
}

/** Node's own modules (`http2`, `tls`) loaded by the time the recorded process got a request. */
export function loadedBuiltins (file: string): Set<string> {
  return new Set(readFileSync(builtinsFile(file), 'utf8').split('\n').flatMap(l => /^NativeModule (\S+)$/.exec(l)?.[1] ?? []))
}

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
 * The packages and gatehouse modules the bundle (dist/bundle/gatehouse.cjs) evaluated, from the
 * V8 coverage written to `dir` (NODE_V8_COVERAGE): esbuild wraps each module it bundles in a
 * function named for its path (`node_modules/ioredis/built/index.js`, `dist/src/auth/mtls.js`),
 * run the first time the module is imported.
 */
export function evaluatedBundleModules (dir: string): { packages: Set<string>, own: Set<string> } {
  const packages = new Set<string>()
  const own = new Set<string>()
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue
    const { result } = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { result: Coverage[] }
    for (const script of result) {
      if (!script.url.endsWith('/dist/bundle/gatehouse.cjs')) continue
      for (const fn of script.functions) {
        if ((fn.ranges[0]?.count ?? 0) === 0) continue
        const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(fn.functionName)
        if (pkg !== null) packages.add(pkg[1] as string)
        const mine = /^dist\/((?:cli|runtime|http|src)\/\S+\.js)$/.exec(fn.functionName)
        if (mine !== null) own.add(mine[1] as string)
      }
    }
  }
  return { packages, own }
}

interface Coverage { url: string, functions: Array<{ functionName: string, ranges: Array<{ count: number }> }> }
