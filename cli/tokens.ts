import { systemClock } from '../src/clock.js'
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/load-config.js'
import type { GatewayConfig } from '../src/config/types.js'
import { createSealer } from '../src/cache/integrity.js'
import { createRedisClient, type RedisClient } from '../src/cache/redis-client.js'
import { readDrfDump } from '../src/tokens/drf-import.js'
import { BadTokenRequest, importDrfTokens, issueUserToken } from '../src/tokens/user-token-commands.js'
import { UserTokenStore, type ListedUserToken } from '../src/tokens/user-token-store.js'
import type { CliIo } from './cache-purge.js'
import { TOKENS_USAGE } from './usage.js'

/** The CLI may wait for Redis (unlike a request): a few retries, then a clear failure. */
async function connect (config: GatewayConfig): Promise<RedisClient> {
  const redis = await createRedisClient(config.cache.redis as NonNullable<GatewayConfig['cache']['redis']>, {
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 10_000,
    retryStrategy: (times: number) => times > 5 ? null : 200 * times
  })
  let lastError = ''
  redis.on('error', (err: Error) => { lastError = err.message })
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve())
    redis.once('end', () => reject(new Error(`cannot reach cache.redis: ${lastError}`)))
  })
  return redis
}

const when = (ms: number | null): string => ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

function table (tokens: ListedUserToken[]): string {
  const rows = [['ID', 'USER', 'SCOPES', 'CLIENT', 'CREATED', 'EXPIRES', 'LAST USED'],
    ...tokens.map(t => [t.id, t.user, t.scopes.join(',') || '-', t.client ?? '-', when(t.created), when(t.expires), when(t.lastUsed)])]
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length))) ?? []
  return rows.map(r => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)).join('  ')).join('\n') + '\n'
}

const list = (text: string | undefined): string[] => (text ?? '').split(/[,\s]+/).filter(s => s !== '')

/**
 * `gatehouse tokens …`: user API tokens in the config's Redis, the store every instance
 * reads. The token is printed once, at `new`; Redis and every listing hold its hash only.
 */
export async function tokensCommand (args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      user: { type: 'string' },
      scopes: { type: 'string' },
      expires: { type: 'string' },
      client: { type: 'string' },
      drf: { type: 'string' }
    },
    allowPositionals: true
  })
  const usage = (): number => {
    io.stderr.write(`usage:\n${TOKENS_USAGE}`)
    return 1
  }
  if (!['new', 'list', 'revoke', 'import'].includes(sub ?? '')) return usage()
  if (sub === 'new' && values.user === undefined) return usage()
  if (sub === 'revoke' && (positionals.length === 1) === (values.user !== undefined)) return usage()
  if (sub === 'import' && values.drf === undefined) return usage()
  if (sub !== 'revoke' && positionals.length > 0) return usage()

  const config = await loadConfig(values.config ?? io.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml', io.env)
  if (config.cache.redis === undefined) {
    io.stderr.write('gatehouse tokens: cache.redis is not set: user API tokens live in Redis (or are listed by hash under the authenticator\'s tokens:)\n')
    return 1
  }
  const dump = sub === 'import' ? readDrfDump(JSON.parse(await readFile(values.drf as string, 'utf8'))) : undefined
  let redis: RedisClient
  try {
    redis = await connect(config)
  } catch (err) {
    io.stderr.write(`gatehouse tokens: ${(err as Error).message}\n`)
    return 1
  }
  const store = new UserTokenStore(redis, createSealer(config.cache.integrityKey), undefined, systemClock)
  try {
    switch (sub) {
      case 'new': {
        const { token, record } = await issueUserToken(store, config, {
          user: values.user as string,
          scopes: list(values.scopes),
          expires: values.expires,
          client: values.client
        })
        io.stdout.write(`token:   ${token}
id:      ${record.id}
user:    ${record.user}
scopes:  ${record.scopes.join(' ') || '-'}
client:  ${record.client ?? '-'}
expires: ${when(record.expires)}

Give the token to ${record.user} now: only its hash is stored, it cannot be shown again.
It is sent as: Authorization: Token <token>
`)
        return 0
      }
      case 'list':
        io.stdout.write(table(await store.list(values.user)))
        return 0
      case 'revoke':
        if (values.user !== undefined) {
          const n = await store.revokeUser(values.user)
          io.stdout.write(`revoked ${n} token${n === 1 ? '' : 's'} of ${values.user}\n`)
          return 0
        }
        if (!await store.revoke(positionals[0] as string)) {
          io.stderr.write(`gatehouse tokens revoke: no token has id ${positionals[0] as string}\n`)
          return 1
        }
        io.stdout.write(`revoked ${positionals[0] as string} on every instance\n`)
        return 0
      default: {
        const { tokens, orphans, inactive } = dump as NonNullable<typeof dump>
        const { imported, duplicates } = await importDrfTokens(store, tokens)
        io.stdout.write(`imported ${imported} token${imported === 1 ? '' : 's'}, skipped ${duplicates} already stored` +
          `${inactive > 0 ? `, ${inactive} of inactive users` : ''}` +
          `${orphans > 0 ? `, ${orphans} whose user is not in the dump (dump auth.user with authtoken.token)` : ''}\n`)
        return orphans > 0 ? 1 : 0
      }
    }
  } catch (err) {
    if (!(err instanceof BadTokenRequest)) throw err
    io.stderr.write(`gatehouse tokens ${sub}: ${err.message}\n`)
    return 1
  } finally {
    await redis.quit().catch(() => redis.disconnect())
  }
}
