import cluster, { type Worker } from 'node:cluster'
import { randomUUID } from 'node:crypto'
import type { AggregatorRegistry, PrometheusContentType, Registry } from 'prom-client'
import { importCommonJs } from '../src/import-commonjs.js'

const ASK = 'gatehouse:metrics?'
const ANSWER = 'gatehouse:metrics'

/**
 * With workers, the admin port is shared: a scrape lands on any one of them. Each worker
 * answers `/metrics` with the whole cluster's series, summed by the primary (prom-client's
 * AggregatorRegistry asks every worker for its registry).
 */
export async function shareWorkerRegistry (registry: Registry): Promise<void> {
  const { AggregatorRegistry } = await importCommonJs(async () => await import('prom-client'))
  // Constructing one registers the worker's answer to the primary's requests.
  void new AggregatorRegistry()
  AggregatorRegistry.setRegistries([registry])
}

/** In a worker: the cluster-wide metrics text, from the primary. */
export async function metricsFromPrimary (timeoutMs = 5000): Promise<string> {
  const id = randomUUID()
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { process.off('message', onMessage); reject(new Error('the primary did not answer with metrics')) }, timeoutMs)
    const onMessage = (message: { type?: string, id?: string, text?: string, error?: string }): void => {
      if (message?.type !== ANSWER || message.id !== id) return
      clearTimeout(timer)
      process.off('message', onMessage)
      if (message.text !== undefined) resolve(message.text)
      else reject(new Error(message.error ?? 'metrics aggregation failed'))
    }
    process.on('message', onMessage)
    process.send?.({ type: ASK, id })
  })
}

/**
 * In the primary: answers a worker's request with every worker's metrics aggregated.
 * prom-client is loaded by the first request: a cluster nobody scrapes never loads it.
 */
export function servePrimaryMetrics (): (worker: Worker, message: unknown) => void {
  let aggregator: Promise<AggregatorRegistry<PrometheusContentType>> | undefined
  return (worker, message) => {
    const ask = message as { type?: string, id?: string } | null
    if (ask?.type !== ASK) return
    aggregator ??= importCommonJs(async () => await import('prom-client')).then(({ AggregatorRegistry }) => new AggregatorRegistry())
    aggregator.then(async a => await a.clusterMetrics()).then(
      text => worker.send({ type: ANSWER, id: ask.id, text }),
      (err: Error) => worker.send({ type: ANSWER, id: ask.id, error: err.message })
    )
  }
}

export const isWorker = (): boolean => cluster.isWorker
