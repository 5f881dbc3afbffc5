import { readFileSync } from 'node:fs'
import { posix } from 'node:path'

/** Reads a file's text, or undefined when it cannot be read (absent, not a cgroup file here). */
export type ReadText = (path: string) => string | undefined

const readText: ReadText = path => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** A cgroup hierarchy this process is in: where it is mounted, and the process's cgroup in it. */
interface Hierarchy { version: 1 | 2, mount: string, dir: string }

/**
 * The process's own cgroup directory for the CPU controller, from /proc/self/cgroup and
 * /proc/self/mountinfo. A mount's root may be a cgroup below the hierarchy's root (a container
 * without its own cgroup namespace sees its cgroup mounted as /sys/fs/cgroup/cpu): the
 * process's path is taken relative to it.
 */
function cpuHierarchy (read: ReadText): Hierarchy | undefined {
  const cgroups = read('/proc/self/cgroup')
  const mounts = read('/proc/self/mountinfo')
  if (cgroups === undefined || mounts === undefined) return undefined
  let unified: Hierarchy | undefined
  for (const line of mounts.split('\n')) {
    // `id parent major:minor root mountpoint options [optional…] - fstype source superoptions`
    const [left, right] = line.split(' - ')
    if (left === undefined || right === undefined) continue
    const [, , , root, point] = left.split(' ')
    const [fstype, , superOptions] = right.split(' ')
    if (root === undefined || point === undefined) continue
    let own: string | undefined
    if (fstype === 'cgroup2') own = /^0::(.*)$/m.exec(cgroups)?.[1]
    else if (fstype === 'cgroup' && superOptions?.split(',').includes('cpu') === true) {
      own = cgroups.split('\n').map(l => /^\d+:([^:]*):(.*)$/.exec(l)).find(m => m?.[1]?.split(',').includes('cpu') === true)?.[2]
    } else continue
    if (own === undefined) continue
    const inside = root === '/' ? own : own === root || own.startsWith(`${root}/`) ? own.slice(root.length) : undefined
    if (inside === undefined) continue
    const mount = unescapeMountPath(point)
    const dir = inside === '/' || inside === '' ? mount : posix.join(mount, inside).replace(/\/$/, '')
    const found: Hierarchy = { version: fstype === 'cgroup2' ? 2 : 1, mount, dir }
    // A v1 hierarchy with the cpu controller holds it; a hybrid system's v2 mount beside it then has none.
    if (found.version === 1) return found
    unified = found
  }
  return unified
}

/** mountinfo writes a space, tab, newline and backslash in a path as octal escapes. */
function unescapeMountPath (path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

/** One cgroup's CPU bandwidth limit in CPUs (quota ÷ period), or undefined when it sets none. */
function limitIn (read: ReadText, version: 1 | 2, dir: string): number | undefined {
  let quota: number
  let period: number
  if (version === 2) {
    const [q, p] = (read(posix.join(dir, 'cpu.max')) ?? '').trim().split(' ')
    if (q === undefined || q === 'max' || p === undefined) return undefined
    quota = Number(q)
    period = Number(p)
  } else {
    quota = Number(read(posix.join(dir, 'cpu.cfs_quota_us'))?.trim())
    period = Number(read(posix.join(dir, 'cpu.cfs_period_us'))?.trim())
  }
  return Number.isFinite(quota) && Number.isFinite(period) && quota > 0 && period > 0 ? quota / period : undefined
}

/**
 * How many CPUs of time the process may use, from its cgroup's CPU bandwidth limit (`cpu.max`
 * in cgroup v2, `cpu.cfs_quota_us` ÷ `cpu.cfs_period_us` in v1) and its ancestors' up to the
 * mount's root: the smallest of them. A container's `--cpus` sets it; `os.availableParallelism()`
 * does not see it (it counts the CPUs the process may run on, not for how long). Undefined when
 * no limit is set or none can be read (not Linux, no cgroup file system).
 */
export function cgroupCpuLimit (read: ReadText = readText): number | undefined {
  const hierarchy = cpuHierarchy(read)
  if (hierarchy === undefined) return undefined
  const { version, mount } = hierarchy
  let limit: number | undefined
  // From the process's cgroup up to the mount's root: a parent's limit binds its children too.
  for (let dir = hierarchy.dir; ; dir = posix.dirname(dir)) {
    const own = limitIn(read, version, dir)
    if (own !== undefined && (limit === undefined || own < limit)) limit = own
    if (dir.length <= mount.length) return limit
  }
}
