/**
 * The reference forwarder (reference-forwarder.ts) in WORKERS processes sharing its port
 * through node:cluster, as gatehouse's `workers` does: what more processes cost any Node
 * forwarder on the machine, beside what they cost gatehouse. Run as its own process:
 *   node dist/bench/reference-cluster.js WORKERS PORT UPSTREAM_URL PUBLIC_KEY_PEM ISSUER AUDIENCE
 */
import cluster from 'node:cluster'
import { join } from 'node:path'

const [workers, ...args] = process.argv.slice(2) as [string, ...string[]]
cluster.setupPrimary({ exec: join(import.meta.dirname, 'reference-forwarder.js'), args })
for (let i = 0; i < Number(workers); i++) cluster.fork()
