import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import type { JWK } from 'jose'
import type { Logger } from '../src/logger.js'
import { newSigningJwk } from '../src/tokens/signing-keys.js'
import { servePrimaryMetrics } from '../http/cluster-metrics.js'
import { workerExecArgv } from './heap.js'

/**
 * Restart delay after a worker dies: doubled on each death, back to the minimum when the
 * worker that died had served for STABLE_MS (a worker that dies while starting is a crash loop).
 */
const RESTART_MIN_MS = 100
const RESTART_MAX_MS = 10_000
const STABLE_MS = 10_000

const KEY_REQUEST = 'gatehouse:ephemeral-key?'
const KEY_REPLY = 'gatehouse:ephemeral-key'
const READY = 'gatehouse:ready'
const CANNOT_START = 'gatehouse:cannot-start'

/**
 * `auto`: one worker per CPU the process may run on, but no more than its cgroup's CPU limit
 * (rounded up) allows: more processes than the CPU time given only take turns on it, each turn
 * a context switch (bench/RESULTS.md, `workers: auto` beside a busy loop). `cpuLimit`:
 * `cgroupCpuLimit()` (cpu-limit.ts).
 */
export function workerCount (setting: number | 'auto', cpuLimit: number | undefined): number {
  if (setting !== 'auto') return setting
  const cpus = availableParallelism()
  return cpuLimit === undefined ? cpus : Math.max(1, Math.min(cpus, Math.ceil(cpuLimit)))
}

export interface PrimaryOptions {
  workers: number
  /** The cgroup's CPU limit that `workers: auto` was held to, for the start line; undefined when none. */
  cpuLimit?: number
  logger: Logger
  /** How long SIGTERM/SIGINT waits for every worker to drain and exit before killing what is left. */
  stopTimeoutMs: number
}

/**
 * The cluster primary: serves no request itself. It forks the workers (which share the
 * listeners through node:cluster), replaces one that dies, hands SIGHUP to every worker and
 * turns SIGTERM/SIGINT into one drain of them all. Exits 0 when every worker drained and exited 0.
 */
export async function runPrimary ({ workers, cpuLimit, logger, stopTimeoutMs }: PrimaryOptions): Promise<void> {
  // Without tokens.signingKeys each process would make its own ephemeral key, and a token
  // one worker signed would fail on the next; the primary makes the one they all use.
  const ephemeralKey = await newSigningJwk()
  const answerMetrics = servePrimaryMetrics()
  const workersRunning = new Set<Worker>()
  /** When each worker had set up its signal handlers (before that, a SIGHUP would kill it). */
  const readySince = new Map<Worker, number>()
  /** Workers that were still starting at a SIGHUP: they reload once ready. */
  const reloadWhenReady = new Set<Worker>()
  const pendingRestarts = new Set<NodeJS.Timeout>()
  let restartDelay = RESTART_MIN_MS
  let stopping = false
  let allClean = true
  const pids = (): Array<number | undefined> => [...workersRunning].map(w => w.process.pid)

  /** `replaces`: the pid of the dead worker this one stands in for, so logs tie each restart to its death. */
  const fork = (replaces?: number): void => {
    const worker = cluster.fork()
    workersRunning.add(worker)
    worker.on('message', (message: unknown) => {
      if (message === KEY_REQUEST) worker.send({ type: KEY_REPLY, jwk: ephemeralKey })
      answerMetrics(worker, message)
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === CANNOT_START) {
        // A listener no worker can bind (the address is taken): restarting would loop forever.
        logger.error({ worker: worker.process.pid, error: (message as { error?: unknown }).error }, 'a worker cannot start: stopping')
        allClean = false
        stop('SIGTERM')
      }
      if (message === READY) {
        readySince.set(worker, Date.now())
        if (reloadWhenReady.delete(worker)) worker.process.kill('SIGHUP')
      }
    })
    // A message or signal to a worker that just died fails here; its 'exit' handles the death.
    worker.on('error', (err: Error) => logger.warn({ worker: worker.process.pid, err: err.message }, 'worker IPC error'))
    logger.info({ worker: worker.process.pid, replaces }, 'worker started')
  }

  const finishStop = (): never => {
    logger.info({ code: allClean ? 0 : 1 }, 'every worker has exited')
    process.exit(allClean ? 0 : 1)
  }

  cluster.on('exit', (worker, code, signal) => {
    const wasReady = readySince.has(worker)
    const served = Date.now() - (readySince.get(worker) ?? Date.now())
    workersRunning.delete(worker)
    readySince.delete(worker)
    reloadWhenReady.delete(worker)
    if (stopping) {
      // A worker that was not yet ready had nothing to drain: SIGTERM kills it before its handlers
      // are set up, or it dies of its own start-up failure (a crash loop) while the stop runs.
      if (wasReady && code !== 0) allClean = false
      logger.info({ worker: worker.process.pid, code, signal }, 'worker exited')
      if (workersRunning.size === 0) finishStop()
      return
    }
    if (served >= STABLE_MS) restartDelay = RESTART_MIN_MS
    logger.error({ worker: worker.process.pid, code, signal, servedMs: served, restartInMs: restartDelay }, 'worker died: replacing it')
    const timer = setTimeout(() => { pendingRestarts.delete(timer); fork(worker.process.pid) }, restartDelay)
    pendingRestarts.add(timer)
    restartDelay = Math.min(restartDelay * 2, RESTART_MAX_MS)
  })

  process.on('SIGHUP', () => {
    logger.info({ workers: pids() }, 'SIGHUP: every worker reloads the config')
    for (const worker of workersRunning) {
      if (readySince.has(worker)) worker.process.kill('SIGHUP')
      else reloadWhenReady.add(worker)
    }
  })

  const stop = (signal: NodeJS.Signals): void => {
    // Later signals change nothing: a process group or a cgroup often gets the same signal twice.
    if (stopping) return
    stopping = true
    for (const timer of pendingRestarts) clearTimeout(timer)
    pendingRestarts.clear()
    logger.info({ signal, workers: pids() }, 'stopping: every worker drains its in-flight requests')
    if (workersRunning.size === 0) finishStop()
    // Workers ignore SIGINT (a terminal sends it to the whole group): each gets one SIGTERM from here.
    for (const worker of workersRunning) worker.process.kill('SIGTERM')
    setTimeout(() => {
      logger.error({ workers: pids(), timeoutMs: stopTimeoutMs }, 'workers still running after the drain timeout: killing them')
      for (const worker of workersRunning) worker.process.kill('SIGKILL')
      process.exit(1)
    }, stopTimeoutMs).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)

  const execArgv = workerExecArgv()
  cluster.setupPrimary({ execArgv })
  logger.info({ workers, cpuLimit, execArgv }, 'gatehouse primary: starting workers')
  for (let i = 0; i < workers; i++) fork()
}

/** In a worker: the primary's ephemeral signing key (see runPrimary). */
export async function ephemeralKeyFromPrimary (): Promise<JWK> {
  return await new Promise(resolve => {
    const onMessage = (message: { type?: string, jwk?: JWK }): void => {
      if (message?.type !== KEY_REPLY || message.jwk === undefined) return
      process.off('message', onMessage)
      resolve(message.jwk)
    }
    process.on('message', onMessage)
    process.send?.(KEY_REQUEST)
  })
}

/** In a worker: tells the primary it failed in a way a restart would repeat (its listener cannot bind). */
export async function workerCannotStart (error: string): Promise<void> {
  await new Promise<void>(resolve => {
    if (process.send === undefined) resolve()
    else process.send({ type: CANNOT_START, error }, undefined, undefined, () => resolve())
  })
}

/** In a worker: tells the primary its signal handlers are set up. */
export function workerReady (): void {
  process.send?.(READY)
}
