import fp from 'fastify-plugin'
import { GatehouseError } from '../src/errors.js'
import { unsafePathReason } from '../src/policy/request-path.js'
import './types.js'

/** Refuses, before routing matters, requests the upstream could read differently than the router. */
export default fp<{ bodyLimit: number }>(async function gatehouseRequestGuard (app, opts) {
  app.addHook('onRequest', async (request) => {
    const reason = unsafePathReason(request.url)
    if (reason !== undefined) throw new GatehouseError('bad_request', reason)
    const length = request.headers['content-length']
    if (length !== undefined && Number(length) > opts.bodyLimit) {
      throw new GatehouseError('payload_too_large', `the request body is larger than ${opts.bodyLimit} bytes`)
    }
  })
}, { fastify: '5.x', name: 'gatehouse-request-guard' })
