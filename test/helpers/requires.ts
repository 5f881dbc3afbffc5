import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface Requirement {
  /** What the test needs, as a reader would name it: "docker-compose", "Django for /usr/bin/python3". */
  what: string
  /** A command that succeeds when it is there. */
  probe: [string, ...string[]]
  /** How to get it (the Debian package .ci/run installs). */
  install: string
}

/**
 * The `skip` option of a test that needs more than Node and redis-server: false when the
 * requirement is met, else the reason, shown by tap. On CI (`CI=true`) a missing requirement
 * fails the file instead: .ci/run installs every one, so a skip there would hide a test that
 * never ran.
 */
export function requires (...needs: Requirement[]): false | string {
  const missing = needs.filter(need => {
    const [command, ...args] = need.probe
    const run = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 })
    return run.error !== undefined || run.status !== 0
  })
  if (missing.length === 0) return false
  const reason = `needs ${missing.map(m => `${m.what} (${m.install})`).join(' and ')}`
  if (process.env.CI === 'true') throw new Error(`CI must run every test, and this one ${reason}`)
  return `skipped: ${reason}`
}

/** Debian's python3-django, python3-djangorestframework and daphne are installed for the system Python only. */
export const PYTHON = '/usr/bin/python3'

export const DJANGO: Requirement = {
  what: `Django and Django REST Framework for ${PYTHON}`,
  probe: [PYTHON, '-c', 'import django, rest_framework'],
  install: 'apt-get install python3-django python3-djangorestframework'
}

export const DAPHNE: Requirement = {
  what: `daphne for ${PYTHON}`,
  probe: [PYTHON, '-c', 'import daphne'],
  install: 'apt-get install daphne'
}

export const DOCKER_COMPOSE: Requirement = {
  what: 'docker-compose',
  probe: ['docker-compose', 'version'],
  install: 'apt-get install docker-compose'
}

/** The mTLS test makes its PKI with it (Node has no certificate authority of its own). */
export const OPENSSL: Requirement = {
  what: 'openssl',
  probe: ['openssl', 'version'],
  install: 'apt-get install openssl'
}

/** Where `command` is on PATH, as a shell would find it; undefined when it is not there. */
export function onPath (command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, command), constants.X_OK)
      return join(dir, command)
    } catch {
      // Not in this directory: the next one.
    }
  }
  return undefined
}

/** Looked up on PATH like every other requirement: hiding it from PATH skips the browser test. */
export const CHROMIUM: Requirement = {
  what: 'chromium on PATH',
  probe: ['chromium', '--version'],
  install: 'apt-get install chromium'
}
