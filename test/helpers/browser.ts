import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { onPath } from './requires.js'

/** Debian's chromium, found on PATH, headless with a throwaway profile; closed and removed at teardown. */
export async function launchBrowser (t: { teardown (fn: () => unknown): void }): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: onPath('chromium'),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  return context
}
