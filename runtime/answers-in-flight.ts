import type { ServerResponse } from 'node:http'

const ENTRY = Symbol('answer in flight')
interface Entry<T> {
  readonly res: ServerResponse
  readonly tag: T
  prev: Entry<T> | null
  next: Entry<T> | null
}
type Listed<T> = ServerResponse & { [ENTRY]?: Entry<T> | undefined }

/**
 * The answers in flight, each with a tag (its generation), so a drain can reach every one:
 * a linked list, its entry kept on the response. Not a Set: V8 keeps a Set's outgrown hash
 * tables reachable for minor GCs until the next full one, with every response they held,
 * so under load each request's objects (its socket reads, headers, Fastify request, upstream
 * call) were promoted to the old generation. That cost a fifth of the CPU per request
 * (bench/RESULTS.md). A removed entry points at nothing.
 */
export class AnswersInFlight<T> {
  private head: Entry<T> | null = null

  add (res: ServerResponse, tag: T): void {
    const entry: Entry<T> = { res, tag, prev: null, next: this.head }
    if (this.head !== null) this.head.prev = entry
    this.head = entry
    ;(res as Listed<T>)[ENTRY] = entry
  }

  /** Takes `res` out of the list and gives its tag; undefined for one not in it. */
  delete (res: ServerResponse): T | undefined {
    const r = res as Listed<T>
    const entry = r[ENTRY]
    if (entry === undefined) return undefined
    r[ENTRY] = undefined
    const { prev, next } = entry
    if (prev !== null) prev.next = next
    else this.head = next
    if (next !== null) next.prev = prev
    entry.prev = null
    entry.next = null
    return entry.tag
  }

  /** The answers in flight now, newest first; the list may change while the caller walks it. */
  list (): ServerResponse[] {
    const all: ServerResponse[] = []
    for (let e = this.head; e !== null; e = e.next) all.push(e.res)
    return all
  }
}
