/** One token from Django REST Framework's `authtoken` table, with its user's name. */
export interface DrfToken {
  key: string
  user: string
  /** ms since epoch. */
  created: number
}

export interface DrfDump {
  tokens: DrfToken[]
  /** Tokens whose user is not in the dump (dumped without auth.user, or a user model without username). */
  orphans: number
  /** Tokens of users with is_active false: DRF refuses them, so they are not carried over. */
  inactive: number
}

interface DumpEntry { model?: unknown, pk?: unknown, fields?: Record<string, unknown> }

/**
 * Reads what `python manage.py dumpdata auth.user authtoken.token` writes: a JSON list of
 * `{ model, pk, fields }`. A token's pk is its key and `fields.user` its user's pk, or
 * `["alice"]` with --natural-foreign. Only usernames are read: password hashes and the rest
 * of the user rows are ignored.
 */
export function readDrfDump (json: unknown): DrfDump {
  if (!Array.isArray(json)) throw new Error('not a dumpdata file: expected a JSON list of { model, pk, fields }')
  const usernames = new Map<string, string>()
  const inactiveUsers = new Set<string>()
  const raw: DumpEntry[] = []
  for (const entry of json as DumpEntry[]) {
    if (entry === null || typeof entry !== 'object' || typeof entry.model !== 'string') throw new Error('not a dumpdata file: an entry has no model')
    const model = entry.model.toLowerCase()
    if (model === 'authtoken.token') raw.push(entry)
    else if (typeof entry.fields?.username === 'string') {
      usernames.set(String(entry.pk), entry.fields.username)
      if (entry.fields.is_active === false) inactiveUsers.add(entry.fields.username)
    }
  }
  const tokens: DrfToken[] = []
  let orphans = 0
  let inactive = 0
  for (const entry of raw) {
    const key = typeof entry.pk === 'string' ? entry.pk : entry.fields?.key
    if (typeof key !== 'string' || key === '') throw new Error('an authtoken.token entry has no key')
    const ref = entry.fields?.user
    const user = Array.isArray(ref) ? (typeof ref[0] === 'string' ? ref[0] : undefined) : usernames.get(String(ref))
    if (user === undefined) {
      orphans++
      continue
    }
    if (inactiveUsers.has(user)) {
      inactive++
      continue
    }
    const created = typeof entry.fields?.created === 'string' ? Date.parse(entry.fields.created) : Number.NaN
    tokens.push({ key, user, created: Number.isNaN(created) ? Date.now() : created })
  }
  return { tokens, orphans, inactive }
}
