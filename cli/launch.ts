#!/usr/bin/env node
import module, { createRequire } from 'node:module'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { compileFunction, constants } from 'node:vm'
import { tuneHeapGrowth } from '../runtime/heap.js'
import { COMPILED_EVENT } from './compiled-code.js'

/** The digest of the CLI script this launcher was built with (scripts/bundle.mjs): the name of its code caches. */
declare const GATEHOUSE_BUILD: string

/** The commands whose code caches are kept apart: each runs its own part of the script. */
const COMMANDS = new Set(['start', 'check', 'explain', 'test', 'keys', 'clients', 'signing-key', 'hash-secret', 'cache', 'sessions', 'tokens'])

/** FNV-1a, 32 bits: names a set of node flags in a file name (no `node:crypto` to load for it). */
function fnv (text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(16)
}

/**
 * `gatehouse` as users run it: the CLI, bundled as one script (dist/bundle/gatehouse.cjs), run
 * from a V8 code cache made after the command ran, so it holds every function the command
 * compiled, not only each module's top level as Node's module compile cache does: a start then
 * compiles next to nothing. The cache sits in Node's compile cache folder, one file per build,
 * command, Node version and node flags; V8 refuses one made by another V8 or under other flags,
 * and then a new one replaces it. Without Node's compile cache (NODE_DISABLE_COMPILE_CACHE) none
 * is read or written.
 */
function launch (): void {
  const status = (module as { enableCompileCache?: () => { directory?: string } }).enableCompileCache?.()
  const file = join(import.meta.dirname, 'gatehouse.cjs')
  const command = process.argv[2] ?? ''
  // V8's flags are part of what a code cache is checked against: set before the script is compiled.
  if (command === 'start') {
    try {
      tuneHeapGrowth()
    } catch {
      // cli/start.ts reports a bad GATEHOUSE_HEAP_GROWING_PERCENT.
    }
  }
  const cacheFile = status?.directory === undefined ? undefined : codeCacheFile(status.directory, command)
  let cachedData: Buffer | undefined
  if (cacheFile !== undefined) {
    try {
      cachedData = readFileSync(cacheFile)
    } catch {
      // None yet: this run makes it.
    }
  }
  const source = readFileSync(file, 'latin1')
  // Compiled as Node compiles a CommonJS module: run from a vm.Script instead, the same text
  // looked 3-6 % dearer per request (bench/RESULTS.md).
  const importModuleDynamically = constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
  const compile = (produceCachedData: boolean, cached?: Buffer): ReturnType<typeof compileFunction> =>
    compileFunction(source, PARAMETERS, { filename: file, cachedData: cached, produceCachedData, importModuleDynamically })
  const run = compile(false, cachedData)
  if (cacheFile !== undefined && (cachedData === undefined || run.cachedDataRejected === true)) {
    // A start keeps its cache only once it serves: one that failed would leave a cache of its
    // failure, which every later start would take and never replace.
    keepWhen(command === 'start' ? COMPILED_EVENT : 'exit', () => compile(true).cachedData, cacheFile)
  }
  const exports = {}
  run(exports, createRequire(file), { exports }, file, dirname(file))
}

const PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname']

/** Where `command`'s code cache is kept: Node's folder is one per Node version; the node flags are named here. */
function codeCacheFile (directory: string, command: string): string {
  const flags = fnv(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)
  return join(directory, 'gatehouse', `${GATEHOUSE_BUILD}-${COMMANDS.has(command) ? command : 'other'}-${flags}.bin`)
}

/**
 * Writes the script's code cache on `event`: a gateway saying it serves, or the process exiting
 * (a command that ran to its end). The script compiled again then is V8's from its compilation
 * cache, with every function compiled so far, and so is the code cache made of it. Written whole
 * under another name, then renamed, so a process starting meanwhile reads an old cache or the
 * new one, never half of one.
 */
function keepWhen (event: string, codeCache: () => Buffer | undefined, cacheFile: string): void {
  const keep = (): void => {
    try {
      const data = codeCache()
      if (data === undefined) return
      mkdirSync(dirname(cacheFile), { recursive: true })
      const partial = `${cacheFile}.${process.pid}`
      writeFileSync(partial, data)
      renameSync(partial, cacheFile)
    } catch {
      // A folder that cannot be written costs the next start its speed, never this command.
    }
  }
  const events: NodeJS.EventEmitter = process
  events.once(event, keep)
}

launch()
