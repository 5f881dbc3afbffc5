import { register } from 'node:module'
import { readFileSync, writeFileSync } from 'node:fs'
import { subscribe } from 'node:diagnostics_channel'
import { join } from 'node:path'

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
  subscribe('http.server.request.start', () => { writeFileSync(builtinsFile(file), loaded.join('\n')) })
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
 * The packages and gatehouse modules inside the bundle files recorded in `file`: esbuild heads
 * each module it bundles with a comment naming its path (`// node_modules/ioredis/built/…`,
 * `// dist/src/auth/mtls.js`).
 */
export function bundledModules (file: string): { packages: Set<string>, own: Set<string> } {
  const packages = new Set<string>()
  const own = new Set<string>()
  for (const url of readFileSync(file, 'utf8').split('\n')) {
    if (!/\/dist\/bundle\/[^/]+\.js$/.test(url)) continue
    const text = readFileSync(new URL(url), 'utf8')
    for (const m of text.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)) packages.add(m[1] as string)
    for (const m of text.matchAll(/^\/\/ dist\/((?:cli|runtime|http|src)\/\S+\.js)$/gm)) own.add(m[1] as string)
  }
  return { packages, own }
}
