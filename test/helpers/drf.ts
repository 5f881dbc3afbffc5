import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { tempDir } from './gateway.js'
import { freePort } from './ports.js'
import { PYTHON } from './requires.js'
import { ROOT } from './paths.js'

interface Teardown { teardown (fn: () => unknown): void }

export const DRF_EXAMPLE = join(ROOT, 'examples', 'drf-upstream')

export interface DrfUpstream {
  url: string
  /** What the app wrote (its request log and any traceback). */
  output (): string
}

/** A fresh SQLite database path for the example app, removed when the test ends. */
export function drfDatabase (t: Teardown): string {
  return join(tempDir(t), 'db.sqlite3')
}

/** `python manage.py ARGS` in the example app against `db`; its stdout, or throws with what it wrote. */
export function manage (db: string, args: string[]): string {
  const run = spawnSync(PYTHON, ['manage.py', ...args], {
    cwd: DRF_EXAMPLE,
    env: { ...process.env, DRF_DB_PATH: db, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8'
  })
  if (run.status !== 0) throw new Error(`manage.py ${args.join(' ')} exited ${String(run.status)}:\n${run.stderr}`)
  return run.stdout
}

/** The example DRF app on a free port with a fresh SQLite database (or `db`), killed when the test ends. */
export async function startDrf (t: Teardown, options: { db?: string } = {}): Promise<DrfUpstream> {
  const port = await freePort()
  const db = options.db ?? drfDatabase(t)
  const child = spawn(PYTHON, ['serve.py', `127.0.0.1:${port}`], {
    cwd: DRF_EXAMPLE,
    env: { ...process.env, DRF_DB_PATH: db, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the DRF app did not start in 30s:\n${out}`)), 30_000)
    const onData = (): void => {
      if (out.includes('listening on')) { clearTimeout(timer); resolve() }
    }
    child.stdout.on('data', onData)
    void exited.then(() => { clearTimeout(timer); reject(new Error(`the DRF app exited:\n${out}`)) })
  })
  return { url: `http://127.0.0.1:${port}`, output: () => out }
}
