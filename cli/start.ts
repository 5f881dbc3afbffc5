import cluster from 'node:cluster'
import { parseArgs } from 'node:util'
import closeWithGrace from 'close-with-grace'
import { ConfigError, formatIssue } from '../src/config/load.js'
import { loadConfig } from '../src/load-config.js'
import { ListenError, startFromConfig, startGateway, type RunningGateway } from '../runtime/server.js'
import type { GatewayConfig } from '../src/config/types.js'
import { createLogger } from '../src/logger.js'
import { ephemeralKeyFromPrimary, runPrimary, workerCannotStart, workerCount, workerReady } from '../runtime/cluster.js'
import { cgroupCpuLimit } from '../runtime/cpu-limit.js'
import { MAX_SEMI_SPACE_MIB, tuneHeapGrowth, youngGenerationUncapped } from '../runtime/heap.js'
import { keepCompiledCode } from './compiled-code.js'
import { reportConfigError } from './config-errors.js'

function configFile (args: string[]): string {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false })
  return values.config ?? process.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml'
}

/** `gatehouse start`: one process, or a node:cluster primary and its workers (`server.workers`). */
export async function start (args: string[]): Promise<number> {
  const file = configFile(args)
  if (cluster.isWorker) return await serve(file, true)
  let config
  try {
    // Checked once here, so a bad file fails before any worker is forked.
    config = await loadConfig(file)
  } catch (err) {
    return reportConfigError(err)
  }
  const cpuLimit = config.server.workers === 'auto' ? cgroupCpuLimit() : undefined
  const workers = workerCount(config.server.workers, cpuLimit)
  if (workers === 1) return await serve(config, false)
  const logger = createLogger(config.server.logLevel)
  if (config.cache.redis === undefined) {
    logger.warn({ workers }, 'cache.redis is not set: each worker keeps its own rate-limit counters, cache, revocations and purges')
  }
  await runPrimary({ workers, cpuLimit, logger, stopTimeoutMs: config.server.drainTimeoutMs + 5000 })
  return -1
}

/** The gateway itself, in a single process or in one cluster worker. */
async function serve (source: string | GatewayConfig, isWorker: boolean): Promise<number> {
  try {
    tuneHeapGrowth()
  } catch (err) {
    process.stderr.write(`gatehouse: ${(err as Error).message}\n`)
    if (isWorker) process.exit(1)
    return 1
  }
  let gw: RunningGateway
  try {
    const options = isWorker ? { ephemeralKey: await ephemeralKeyFromPrimary() } : {}
    gw = typeof source === 'string' ? await startGateway(source, options) : await startFromConfig(source, options)
  } catch (err) {
    if (!isWorker && !(err instanceof ListenError)) return reportConfigError(err)
    const message = err instanceof ConfigError ? err.issues.map(formatIssue).join('\n') : err instanceof Error ? err.message : String(err)
    process.stderr.write(`gatehouse${isWorker ? ` worker ${process.pid}` : ''}: ${message}\n`)
    // A listener that cannot bind will not bind on a restart either: the primary stops rather than replace the worker.
    if (isWorker && err instanceof ListenError) await workerCannotStart(message)
    // Exit rather than linger (on a Redis reconnect, on the IPC channel): a start that failed is over.
    process.exit(1)
  }
  if (!isWorker && youngGenerationUncapped()) {
    gw.gateway.logger.warn(
      { flag: `--max-semi-space-size=${MAX_SEMI_SPACE_MIB}` },
      'node was started without the young generation capped: under a stream of new tokens it holds up to about 100 MiB more; ' +
        'start node with this flag, as npm start and the image do (docs/operations.md, Memory)'
    )
  }
  process.on('SIGHUP', () => { void gw.reload() })
  // `server.drainTimeout` as the process started: SIGTERM lets in-flight requests finish that long, then cuts what is left.
  const drainMs = gw.gateway.config.server.drainTimeoutMs
  const grace = closeWithGrace({ delay: drainMs + 2000, skip: isWorker ? ['SIGHUP', 'SIGINT', 'SIGTERM'] : ['SIGHUP'] }, async ({ signal, err }) => {
    if (err !== undefined) gw.gateway.logger.error({ err }, 'stopping after an error')
    else gw.gateway.logger.info({ signal: signal ?? 'SIGTERM' }, 'stopping: draining in-flight requests')
    await gw.close(drainMs)
  })
  if (isWorker) {
    // A SIGTERM sent to the whole process group (systemd, `kill -- -PGID`) reaches a worker
    // twice, directly and from the primary: one drain, not close-with-grace's "second signal,
    // exit 1". Ctrl-C also reaches the whole group: the primary answers it with one SIGTERM.
    let stopping = false
    process.on('SIGTERM', () => {
      if (!stopping) void grace.close()
      stopping = true
    })
    process.on('SIGINT', () => {})
    workerReady()
  }
  keepCompiledCode()
  return -1
}
