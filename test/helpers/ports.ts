import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/**
 * The ports the kernel hands out by itself (every outgoing connection, every listen on :0).
 * A port from freePort() is closed again before its user binds it (a spawned gateway, a
 * Redis, a restart on the same port), and with test files running side by side a port from
 * that range could be taken in between. Ports below it are only ever taken on purpose.
 */
function ephemeralRange (): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return [low, high]
  } catch {
    // Not Linux: the IANA dynamic range, most systems' default.
  }
  return [49152, 65535]
}

const [EPHEMERAL_LOW] = ephemeralRange()
const FIRST = 10_000

async function listenable (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

async function kernelPickedPort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/** A port free on 127.0.0.1 now, outside the range the kernel picks from (see above) when there is room below it. */
export async function freePort (): Promise<number> {
  if (EPHEMERAL_LOW - FIRST < 1000) return await kernelPickedPort()
  for (let tries = 0; tries < 100; tries++) {
    const port = FIRST + Math.floor(Math.random() * (EPHEMERAL_LOW - FIRST))
    if (await listenable(port)) return port
  }
  throw new Error(`no free port between ${FIRST} and ${EPHEMERAL_LOW} after 100 tries`)
}
