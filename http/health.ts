import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { createHash, timingSafeEqual } from 'node:crypto'
import { GatehouseError, problemAnswer } from '../src/errors.js'
import { bearerCredential } from '../src/auth/bearer.js'
import type { Logger } from '../src/logger.js'
import type { Metrics } from './metrics.js'
import type { HealthReport } from '../src/gateway.js'
import type { GatewayConfig } from '../src/config/types.js'
import { TokenStoreUnavailable, type UserTokenStore } from '../src/tokens/user-token-store.js'
import { BadTokenRequest, issueUserToken } from '../src/tokens/user-token-commands.js'
import { lazySchemaCompilers } from './lazy-schema-compilers.js'

/** The user-token store of the config in force, and its clients (a token's client must be one). */
export type UserTokensNow = () => { store: UserTokenStore | undefined, config: Pick<GatewayConfig, 'clients'> }

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * With `server.adminToken`, `/metrics` and `POST /cache/purge` want `Authorization: Bearer
 * <token>`, compared in constant time (as digests: equal lengths whatever was sent).
 * Health probes stay open: a load balancer or orchestrator asks them without credentials.
 */
function adminGuard (adminToken: string | undefined): ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined {
  if (adminToken === undefined) return undefined
  const expected = digest(adminToken)
  return async function requireAdminToken (request, reply) {
    const token = bearerCredential(request.headers.authorization)
    const presented = token === '' ? undefined : token
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return
    const err = new GatehouseError(
      presented === undefined ? 'missing_credentials' : 'invalid_credentials',
      'this admin endpoint wants the admin token (Authorization: Bearer …)',
      {
        challenges: [{ scheme: 'Bearer', params: { realm: 'gatehouse-admin' } }]
      }
    )
    await sendProblem(reply, err, request.id)
  }
}

/** A refusal on the admin listener, rendered as every other refusal of the gateway is. */
async function sendProblem (reply: FastifyReply, err: GatehouseError, requestId: string): Promise<void> {
  const { status, headers, body } = problemAnswer(err, requestId)
  reply.code(status)
  for (let i = 0; i < headers.length; i += 2) if (headers[i] !== 'content-length') reply.header(headers[i] as string, headers[i + 1])
  await reply.send(body)
}

/** The admin listener: liveness, readiness and metrics, on their own port, never reachable through routes. */
export async function buildAdminApp (
  logger: Logger,
  health: () => HealthReport,
  purge: (token: string) => Promise<void>,
  metrics: Metrics,
  adminToken: string | undefined,
  userTokens?: UserTokensNow
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    schemaController: { compilersFactory: lazySchemaCompilers }
  }) as unknown as FastifyInstance
  const guard = adminGuard(adminToken)
  const guarded = guard === undefined ? {} : { onRequest: guard }
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    const report = health()
    reply.code(report.status === 'down' ? 503 : 200)
    return report
  })
  app.get('/metrics', guarded, async (_request, reply) => {
    reply.type(metrics.contentType)
    return await metrics.render()
  })
  app.post<{ Body: { token?: unknown } }>(
    '/cache/purge',
    {
      ...guarded,
      schema: { body: { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 1 } } } }
    },
    async (request, reply) => {
      try {
        await purge(request.body.token as string)
      } catch (err) {
        request.log.warn({ err: { message: (err as Error).message } }, 'cache purge incomplete')
        reply.code(503)
        return { purged: false, detail: (err as Error).message }
      }
      return { purged: true }
    }
  )
  // Minting tokens for any user is never open, not even on loopback: only behind the admin token.
  if (guard !== undefined && userTokens !== undefined) await app.register(userTokenRoutes, { guard, userTokens })
  return app
}

/**
 * `gatehouse tokens` over HTTP: POST /tokens makes one (the token is in that answer only),
 * GET /tokens[?user=] lists, DELETE /tokens/ID and DELETE /tokens?user= revoke.
 */
async function userTokenRoutes (
  app: FastifyInstance,
  { guard, userTokens }: { guard: (request: FastifyRequest, reply: FastifyReply) => Promise<void>, userTokens: UserTokensNow }
): Promise<void> {
  app.addHook('onRequest', guard)
  app.setErrorHandler(async (err, request, reply) => {
    const problem =
      err instanceof BadTokenRequest
        ? new GatehouseError('bad_request', err.message)
        : err instanceof TokenStoreUnavailable
          ? new GatehouseError('auth_unavailable', err.message)
          : (err as { validation?: unknown }).validation !== undefined
              ? new GatehouseError('bad_request', (err as Error).message)
              : new GatehouseError('internal_error', 'the token operation failed')
    if (problem.code === 'internal_error') request.log.error({ err }, 'user token operation failed')
    await sendProblem(reply, problem, request.id)
  })
  const store = (): UserTokenStore => {
    const { store } = userTokens()
    if (store === undefined) throw new TokenStoreUnavailable('cache.redis is not set: user API tokens live in Redis')
    return store
  }
  const user = { type: 'string', minLength: 1 }
  app.post<{ Body: { user: string, scopes?: string[], expires?: string, client?: string } }>(
    '/tokens',
    {
      schema: {
        body: {
          type: 'object',
          required: ['user'],
          additionalProperties: false,
          properties: { user, scopes: { type: 'array', items: { type: 'string' } }, expires: { type: 'string' }, client: { type: 'string' } }
        }
      }
    },
    async (request, reply) => {
      const { token, record } = await issueUserToken(store(), userTokens().config, request.body)
      reply.code(201).header('cache-control', 'no-store')
      return { token, ...record }
    }
  )
  app.get<{ Querystring: { user?: string } }>('/tokens', { schema: { querystring: { type: 'object', properties: { user } } } }, async request => {
    return { tokens: await store().list(request.query.user) }
  })
  app.delete<{ Params: { id: string } }>('/tokens/:id', async (request, reply) => {
    if (await store().revoke(request.params.id)) return { revoked: 1 }
    reply.code(404)
    return { revoked: 0 }
  })
  app.delete<{ Querystring: { user?: string } }>(
    '/tokens',
    { schema: { querystring: { type: 'object', required: ['user'], properties: { user } } } },
    async request => {
      return { revoked: await store().revokeUser(request.query.user as string) }
    }
  )
}
