#!/usr/bin/env node
import module from 'node:module'
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Script, constants } from 'node:vm'
import { tuneHeapGrowth } from '../runtime/heap.js'

/**
 * The `gatehouse` executable (dist/bundle/main.js): runs the CLI bundled into one script
 * (dist/bundle/gatehouse.cjs) from V8's code cache of that script, one cache per command.
 *
 * Node's own compile cache stores a module's code as it is right after compiling, which holds
 * little more than each module's top level: every function a start then runs (the YAML parser,
 * Fastify's and undici's setup, the config checks) is compiled again at every start. A code
 * cache made after the command has run holds them all (bench/RESULTS.md: a third less CPU to the
 * first answer). V8 checks a cache against its own version, its flags and the script's length
 * and drops one that does not fit; the file name adds the bundle's size, time and inode, the
 * command and the node flags, so another build or launcher writes a cache of its own.
 */
const BUNDLE = join(import.meta.dirname, 'gatehouse.cjs')
const SAVE_HOOK = Symbol.for('gatehouse.keepCompiledCode')

const command = process.argv[2] ?? ''
// The cache is checked against V8's flags as they are when it is read: a gateway sets one
// flag (runtime/heap.ts) before its bundle is compiled, so the code it saves carries that
// flag too. A bad value is left for `start` to report.
if (command === 'start') {
  try {
    tuneHeapGrowth()
  } catch {}
}

const { directory } = (module as { enableCompileCache?: () => { directory?: string } }).enableCompileCache?.() ?? {}
// ASCII but for a few comments (esbuild escapes the rest): read as one-byte text, with no UTF-8 decoding.
const source = readFileSync(BUNDLE, 'latin1')
let cacheFile: string | undefined
let cached: Buffer | undefined
if (directory !== undefined) {
  const { size, mtimeMs, ino } = statSync(BUNDLE)
  const flags = process.execArgv.join(' ')
  // Node's `directory` is already one per Node version and architecture.
  const name = /^[a-z-]+$/.test(command) ? command : 'other'
  cacheFile = join(directory, `gatehouse-${name}-${size}-${Math.trunc(mtimeMs)}-${ino}-${fnv1a(flags)}.v8`)
  try {
    cached = readFileSync(cacheFile)
  } catch {}
}

// The bundle is one function expression of CommonJS's five names and its URL (scripts/bundle.mjs).
const script = new Script(source, {
  filename: BUNDLE,
  ...(cached === undefined ? {} : { cachedData: cached }),
  importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
})
/** Bytes of the cache this process started from, 0 when it had none or V8 refused it. */
const taken = cached !== undefined && script.cachedDataRejected !== true ? cached.length : 0
cached = undefined
/** A cache holding at least this much more than the one taken replaces it. */
const GROWTH = 1.02
let saved = false

/**
 * Writes the code compiled so far, once. A cache that was taken is replaced only by one that
 * holds clearly more: a start of another config on the same machine compiled what the cache
 * lacked (another authenticator, more routes), and the next start should not compile it again.
 * Through a temporary file: a process killed while writing leaves no half cache. Says what it
 * did, for the gateway's debug log.
 */
function keepCompiledCode (): 'written' | 'unchanged' | 'failed' | undefined {
  if (saved || cacheFile === undefined) return undefined
  saved = true
  try {
    const data = script.createCachedData()
    if (taken > 0 && data.length < taken * GROWTH) return 'unchanged'
    mkdirSync(directory as string, { recursive: true, mode: 0o700 })
    const partial = `${cacheFile}.${process.pid}`
    writeFileSync(partial, data, { mode: 0o600 })
    renameSync(partial, cacheFile)
    return 'written'
  } catch {
    return 'failed'
  }
}

/** A short name for the node flags (FNV-1a, 32 bits): they can be long and hold any character. */
function fnv1a (text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h.toString(16)
}

// `start` runs for long and is more often killed than stopped: it calls the hook once it serves
// (cli/start.ts). A short command (`check`, `explain`) that found no cache writes one as it exits.
;(globalThis as Record<symbol, unknown>)[SAVE_HOOK] = keepCompiledCode
process.once('exit', () => { if (taken === 0) void keepCompiledCode() })
const exported = { exports: {} }
;(script.runInThisContext() as (...args: unknown[]) => void)
  .call(exported.exports, exported.exports, module.createRequire(BUNDLE), exported, BUNDLE, import.meta.dirname, pathToFileURL(BUNDLE).href)
