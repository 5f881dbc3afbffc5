import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import type { Requirement } from './requires.js'
import { tempDir } from './gateway.js'
import { until } from './until.js'

interface Teardown { teardown (fn: () => unknown): void }

export const NGINX: Requirement = {
  what: 'nginx with auth_request (Debian\'s nginx)',
  probe: ['sh', '-c', 'nginx -V 2>&1 | grep -q http_auth_request_module'],
  install: 'apt-get install nginx'
}

export interface TestNginx {
  url: string
  /** What nginx wrote to its error log so far. */
  errorLog (): string
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

/**
 * A real nginx in the foreground on `port` (a freePort()), its whole state in a temp dir
 * (`-p` prefix: config, pid, temp paths, cache, error log), stopped when the test ends.
 * `http` is the inside of the http block; `{dir}` in it names the temp dir.
 */
export async function startNginx (t: Teardown, port: number, http: string): Promise<TestNginx> {
  const dir = tempDir(t)
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'cache']) mkdirSync(join(dir, sub))
  const errorLog = join(dir, 'error.log')
  writeFileSync(join(dir, 'nginx.conf'), `daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${errorLog} info;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http.replaceAll('{dir}', dir)}
}
`)
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  })
  await until('nginx to listen', async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}`)
    return await accepts(port)
  })
  return { url: `http://127.0.0.1:${port}`, errorLog: () => readFileSync(errorLog, 'utf8') }
}
