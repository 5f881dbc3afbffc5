/**
 * The C reverse proxies gatehouse is measured against, each in its own temp prefix on a free
 * loopback port, in the foreground, killed by `stopAll`.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startProc, withChildren, type Proc } from './procs.js'

function prefixIn (dir: string, name: string): string {
  const prefix = join(dir, name)
  mkdirSync(prefix, { recursive: true })
  return prefix
}

const hostPort = (url: string): string => url.replace(/^http:\/\//, '')

/** nginx as a plain keep-alive reverse proxy. */
export function startNginx (dir: string, port: number, upstream: string, workers: number): Proc {
  const prefix = prefixIn(dir, 'nginx')
  const conf = join(prefix, 'nginx.conf')
  writeFileSync(conf, `daemon off;
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
  upstream bench { server ${hostPort(upstream)}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`)
  return withChildren(startProc('nginx', 'nginx', ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], join(prefix, 'stderr.log')))
}
