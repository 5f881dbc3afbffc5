import { setFlagsFromString } from 'node:v8'

/**
 * V8 lets the old generation grow to up to 4× what survived its last full collection before
 * it collects again. A gateway's heap is mostly short-lived request garbage plus the credential
 * cache, whose entries are replaced all the time under a stream of new tokens: left to that
 * default, RSS swings between about 1× and 4× the live set. A fixed factor of 1.5 keeps it
 * near the live set (bench/RESULTS.md, the memory run) for a full collection every few seconds
 * under such churn, which runs mostly off the main thread.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 50

/**
 * Sets V8's `--heap-growing-percent` for this process, unless it was started with one of its
 * own. `GATEHOUSE_HEAP_GROWING_PERCENT` chooses another value; 0 leaves V8's own heuristics.
 * V8 reads this flag at each full collection, so setting it at startup takes effect.
 * Returns the percent set, undefined when left alone; throws on a value that is not a whole number.
 */
export function tuneHeapGrowth (env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): number | undefined {
  if (execArgv.some(a => /^--heap[-_]growing[-_]percent\b/.test(a))) return undefined
  const raw = env.GATEHOUSE_HEAP_GROWING_PERCENT
  const percent = raw === undefined || raw === '' ? DEFAULT_HEAP_GROWING_PERCENT : Number(raw)
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) {
    throw new Error(`GATEHOUSE_HEAP_GROWING_PERCENT must be a whole number from 0 to 1000, not ${JSON.stringify(raw)}`)
  }
  if (percent === 0) return undefined
  setFlagsFromString(`--heap-growing-percent=${percent}`)
  return percent
}

/**
 * The young generation's cap, MiB per semi-space. Node 24's V8 grows it to two semi-spaces of
 * 64 MiB under a stream of new tokens, Node 22's to two of 16 (docs/operations.md, Memory).
 * V8 sizes it when the process starts: it is a node flag, not something a running process can set.
 */
export const MAX_SEMI_SPACE_MIB = 16

const SEMI_SPACE_FLAG = /(?:^|\s)--max[-_]semi[-_]space[-_]size\b/

/** Whether node was started with a young-generation size of its own, on its command line or in `NODE_OPTIONS`. */
export function youngGenerationSized (execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS): boolean {
  return execArgv.some(a => SEMI_SPACE_FLAG.test(a)) || SEMI_SPACE_FLAG.test(nodeOptions ?? '')
}

/**
 * The node flags a cluster worker starts with: the primary's, and the young generation's cap
 * when no size was chosen. A primary started as a plain `node` (the `gatehouse` command) serves
 * nothing and so needs no cap itself; its workers are forked with one.
 */
export function workerExecArgv (execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS): string[] {
  return youngGenerationSized(execArgv, nodeOptions) ? [...execArgv] : [...execArgv, `--max-semi-space-size=${MAX_SEMI_SPACE_MIB}`]
}

/**
 * Whether this process serves with V8's own young-generation limit where that limit is the
 * one that breaks the memory bound: from Node 24 on (Node 22's is the cap already).
 */
export function youngGenerationUncapped (
  nodeVersion = process.versions.node,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS
): boolean {
  return Number(nodeVersion.split('.')[0]) >= 24 && !youngGenerationSized(execArgv, nodeOptions)
}
