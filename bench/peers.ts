/**
 * The C reverse proxies gatehouse is measured against, each in its own temp prefix on a free
 * loopback port, in the foreground, killed by `stopAll`: nginx as a plain proxy, and Apache
 * (mod_auth_openidc) and HAProxy (jwt_verify) verifying the same RS256 token as gatehouse.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { onPath, startProc, withChildren, type Proc } from './procs.js'
import { JWT_AUDIENCE, JWT_ISSUER, type RsaIssuer } from './tokens.js'

function prefixIn (dir: string, name: string): string {
  const prefix = join(dir, name)
  mkdirSync(prefix, { recursive: true })
  return prefix
}

export const hostPort = (url: string): string => url.replace(/^http:\/\//, '')

/**
 * nginx in the foreground with `http` as the inside of its http block (`{dir}` in it names
 * its own directory, for a cache path): `worker_processes workers`, no access log.
 */
export function startNginxWith (dir: string, name: string, workers: number, http: string): Proc {
  const prefix = prefixIn(dir, name.replaceAll(/\W+/g, '-'))
  const conf = join(prefix, 'nginx.conf')
  writeFileSync(conf, `daemon off;
# As root, the workers would run as nobody, who cannot write the cache in the bench's private temp directory.
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
${http.replaceAll('{dir}', prefix)}
}
`)
  return withChildren(startProc(name, 'nginx', ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], join(prefix, 'stderr.log')))
}

/** nginx as a plain keep-alive reverse proxy. */
export function startNginx (dir: string, port: number, upstream: string, workers: number): Proc {
  return startNginxWith(dir, 'nginx', workers, `  upstream bench { server ${hostPort(upstream)}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`)
}

/** Where Debian's apache2 package puts its modules; mod_auth_openidc comes in its own package. */
const APACHE_MODULES = '/usr/lib/apache2/modules'

/** Why Apache cannot run here, or undefined when it can. */
export function apacheMissing (): string | undefined {
  if (!onPath('apache2')) return 'apache2 is not on PATH'
  if (!existsSync(join(APACHE_MODULES, 'mod_auth_openidc.so'))) return `${APACHE_MODULES}/mod_auth_openidc.so is not installed`
  return undefined
}

/**
 * Apache httpd 2.4 (mpm_event) as an OAuth 2.0 resource server: mod_auth_openidc verifies the
 * JWT locally against the issuer's certificate on every request, then mod_proxy_http forwards
 * over kept-alive upstream connections. Its own ServerRoot and config: the system's
 * /etc/apache2 instance is never touched.
 */
export function startApache (dir: string, port: number, upstream: string, issuer: RsaIssuer): Proc {
  const prefix = prefixIn(dir, 'apache')
  const conf = join(prefix, 'httpd.conf')
  const modules = ['mpm_event', 'authn_core', 'authz_core', 'authz_user', 'proxy', 'proxy_http', 'auth_openidc']
  writeFileSync(
    conf,
    `ServerRoot ${prefix}
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile ${prefix}/httpd.pid
DefaultRuntimeDir ${prefix}
ErrorLog ${prefix}/error.log
LogLevel warn
${process.getuid?.() === 0
? '# As root, Apache must switch its children to some user: the ' +
  'one the Debian package made.\nUser www-data\nGroup www-data\n'
: ''}${modules.map(m => `LoadModule ${m}_module ${APACHE_MODULES}/mod_${m}.so`).join('\n')}

# A fixed set of two processes: a child that exited mid-run would take its CPU time with it.
StartServers 2
ServerLimit 2
ThreadsPerChild 32
MaxRequestWorkers 64
MinSpareThreads 1
MaxSpareThreads 64
# wrk's connections stay open the whole run, as with every other target (Apache's default closes one every 100 requests).
MaxKeepAliveRequests 0

OIDCOAuthVerifyCertFiles ${issuer.certFile}
<Location />
  AuthType oauth20
  # What gatehouse's jwt authenticator checks besides the signature and exp: issuer and audience.
  <RequireAll>
    Require valid-user
    Require claim iss:${JWT_ISSUER}
    Require claim aud:${JWT_AUDIENCE}
  </RequireAll>
</Location>
# Upstream connections kept alive and reused: mod_proxy_http's default, spelled out.
ProxyPass / ${upstream}/ disablereuse=Off
`
  )
  return withChildren(startProc('apache mod_auth_openidc', 'apache2', ['-d', prefix, '-f', conf, '-DFOREGROUND'], join(prefix, 'stderr.log')))
}

/**
 * HAProxy 2.6: `jwt_verify` checks the RS256 signature against the issuer's public key, then
 * rules check alg, issuer, audience and expiry (HAProxy checks no claim by itself); anything
 * else is denied 401. Upstream connections are kept and shared (`http-reuse always`). One
 * process, one thread per CPU (HAProxy's default).
 */
export function startHaproxy (dir: string, port: number, upstream: string, issuer: RsaIssuer): Proc {
  const prefix = prefixIn(dir, 'haproxy')
  const conf = join(prefix, 'haproxy.cfg')
  writeFileSync(conf, `global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend bench
  bind 127.0.0.1:${port}
  http-request set-var(txn.bearer) http_auth_bearer
  http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('$.alg')
  http-request deny deny_status 401 unless { var(txn.alg) -m str RS256 }
  http-request deny deny_status 401 unless { var(txn.bearer),jwt_verify(txn.alg,"${issuer.publicKeyFile}") -m int 1 }
  http-request deny deny_status 401 unless { var(txn.bearer),jwt_payload_query('$.iss') -m str ${JWT_ISSUER} }
  http-request deny deny_status 401 unless { var(txn.bearer),jwt_payload_query('$.aud') -m str ${JWT_AUDIENCE} }
  http-request set-var(txn.now) date
  http-request deny deny_status 401 unless { var(txn.bearer),jwt_payload_query('$.exp','int'),sub(txn.now) -m int gt 0 }
  default_backend upstream
backend upstream
  server upstream ${hostPort(upstream)}
`)
  return startProc('haproxy jwt_verify', 'haproxy', ['-db', '-f', conf], join(prefix, 'stderr.log'))
}

/**
 * Fails the bench unless `url` answers 200 to the valid token and 401 to every refused one:
 * a target that let a bad token through would be measured doing less work than the others.
 */
export async function checkVerifies (name: string, url: string, good: string, refused: Record<string, string | undefined>): Promise<void> {
  const status = async (token: string | undefined): Promise<number> => {
    const res = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
    await res.arrayBuffer()
    return res.status
  }
  const wrong: string[] = []
  const ok = await status(good)
  if (ok !== 200) wrong.push(`the valid token: ${ok}, expected 200`)
  for (const [what, token] of Object.entries(refused)) {
    const s = await status(token)
    if (s !== 401) wrong.push(`${what}: ${s}, expected 401`)
  }
  if (wrong.length > 0) throw new Error(`${name} does not verify the RS256 token as the other targets do: ${wrong.join('; ')}`)
}
