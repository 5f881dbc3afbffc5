/**
 * Waits for something another process or connection does in its own time (a pub/sub message,
 * a reconnect, a log line): polled every 20 ms instead of a fixed sleep, which is either too
 * short on a loaded machine or longer than needed everywhere else.
 */
export async function until (what: string, check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
