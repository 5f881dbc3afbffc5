import { parseArgs } from 'node:util'
import { USAGE } from './usage.js'

// Each command imports only its own modules: `check` never loads Fastify, undici, ioredis or ws.
async function configured (run: () => Promise<number>): Promise<number> {
  try {
    return await run()
  } catch (err) {
    const { reportConfigError } = await import('./config-errors.js')
    return reportConfigError(err)
  }
}

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start': return await (await import('./start.js')).start(rest)
    case 'check': return await (await import('./check.js')).check(rest)
    case 'explain':
      return await configured(async () => {
        const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }
        return await (await import('./explain.js')).explainCommand(rest, io)
      })
    case 'test':
      return await (await import('./test.js')).testCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
    case 'keys':
      if (rest[0] === 'new') {
        const { key, hash } = (await import('./keys.js')).newApiKey()
        process.stdout.write(`key:  ${key}\nhash: ${hash}\n`)
        return 0
      }
      break
    case 'clients':
      if (rest[0] === 'new') {
        const { values, positionals } = parseArgs({ args: rest.slice(1), options: { scopes: { type: 'string' } }, allowPositionals: true })
        if (positionals.length !== 1) break
        const scopes = (values.scopes ?? '').split(/[,\s]+/).filter(s => s !== '')
        process.stdout.write(await (await import('./clients.js')).newClientText(positionals[0] as string, scopes))
        return 0
      }
      break
    case 'signing-key':
      if (rest[0] === 'new') {
        process.stdout.write(await (await import('./clients.js')).newSigningKeyText())
        return 0
      }
      break
    case 'hash-secret': {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      process.stdout.write(await (await import('./clients.js')).hashSecretText(Buffer.concat(chunks).toString('utf8')))
      return 0
    }
    case 'cache':
      if (rest[0] === 'purge') {
        return await configured(
          async () =>
            await (
              await import('./cache-purge.js')
            ).cachePurge(rest.slice(1), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
        )
      }
      break
    case 'sessions':
      if (rest[0] === 'revoke') {
        return await configured(
          async () =>
            await (
              await import('./sessions.js')
            ).sessionsRevoke(rest.slice(1), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
        )
      }
      break
    case 'tokens':
      return await configured(
        async () =>
          await (await import('./tokens.js')).tokensCommand(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
      )
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE)
      return command === undefined ? 1 : 0
  }
  process.stderr.write(`gatehouse: unknown command "${argv.join(' ')}"\n${USAGE}`)
  return 1
}

main(process.argv.slice(2)).then(code => {
  if (code >= 0) process.exitCode = code
}, (err: unknown) => {
  process.stderr.write(`gatehouse: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
