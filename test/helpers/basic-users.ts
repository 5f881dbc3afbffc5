import { hashSecret } from '../../src/secrets/client-secret.js'

/** Test users for the `basic` authenticator: name → password and the claims after the hash. */
export const USERS = {
  alice: { password: 'alice-pw-1', claims: { scope: 'orders:read orders:write', role: 'admin', groups: ['ops', 'eng'], azp: 'android-id' } },
  bob: { password: 'bob-pw-2', claims: { scope: 'orders:read', role: 'staff', groups: ['sales'], client_id: 'ios-id' } },
  carol: { password: 'carol-pw-3', claims: { role: 'staff' } }
} as const

export type UserName = keyof typeof USERS

/** A users file for USERS (low scrypt cost: tests hash often). */
export async function usersFile (): Promise<string> {
  const lines = ['# test users']
  for (const [name, u] of Object.entries(USERS)) lines.push(`${name}:${await hashSecret(u.password, { N: 1024, r: 8, p: 1 })}:${JSON.stringify(u.claims)}`)
  return lines.join('\n') + '\n'
}

export function basic (name: UserName, password: string = USERS[name].password): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`
}
