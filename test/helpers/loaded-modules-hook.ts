import { appendFileSync } from 'node:fs'

/**
 * A module loader hook (runs on Node's loader thread): appends the URL of every module loaded
 * to the file it was registered with. Packages imported from ESM, CommonJS ones included, pass
 * through it by their entry point, which is what tells whether a package was loaded at all.
 */
let file: string | undefined

export function initialize (data: { file: string }): void {
  file = data.file
}

type NextLoad = (url: string, context: unknown) => Promise<unknown>

export async function load (url: string, context: unknown, next: NextLoad): Promise<unknown> {
  const loaded = await next(url, context)
  if (file !== undefined) appendFileSync(file, `${url}\n`)
  return loaded
}
