import t from 'tap'
import fc from 'fast-check'
import { availableParallelism } from 'node:os'
import { cgroupCpuLimit, type ReadText } from '../../runtime/cpu-limit.js'
import { workerCount } from '../../runtime/cluster.js'

/** A file system of these files only, as cgroupCpuLimit reads it. */
const files = (entries: Record<string, string>): ReadText => path => entries[path]

const V2_MOUNT = '36 25 0:31 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n'
const v1Mount = (root: string, point: string): string =>
  `41 30 0:36 ${root} ${point} rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct\n`

t.test('cgroup v2: the smallest cpu.max from the process\'s cgroup up to the mount\'s root', async t => {
  const read = files({
    '/proc/self/cgroup': '0::/system.slice/gatehouse.service\n',
    '/proc/self/mountinfo': '22 1 0:21 / /proc rw - proc proc rw\n' + V2_MOUNT,
    '/sys/fs/cgroup/system.slice/gatehouse.service/cpu.max': 'max 100000\n',
    '/sys/fs/cgroup/system.slice/cpu.max': '150000 100000\n'
  })
  t.equal(cgroupCpuLimit(read), 1.5, 'the slice\'s limit binds the service in it')
  t.equal(cgroupCpuLimit(files({
    '/proc/self/cgroup': '0::/a/b\n',
    '/proc/self/mountinfo': V2_MOUNT,
    '/sys/fs/cgroup/a/b/cpu.max': '50000 100000\n',
    '/sys/fs/cgroup/a/cpu.max': '400000 100000\n'
  })), 0.5, 'a child tighter than its parent')
  t.equal(cgroupCpuLimit(files({ '/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': V2_MOUNT })), undefined, 'the root cgroup has no cpu.max: no limit')
  t.equal(cgroupCpuLimit(files({
    '/proc/self/cgroup': '0::/a\n',
    '/proc/self/mountinfo': V2_MOUNT,
    '/sys/fs/cgroup/a/cpu.max': 'max 100000\n'
  })), undefined, '`max` is no limit')
})

t.test('cgroup v1: cfs_quota_us ÷ cfs_period_us, the path taken relative to the mount\'s root', async t => {
  // A container without its own cgroup namespace: its cgroup /docker/abc is what it sees mounted.
  const read = files({
    '/proc/self/cgroup': '12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n',
    '/proc/self/mountinfo': v1Mount('/docker/abc', '/sys/fs/cgroup/cpu,cpuacct'),
    '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '250000\n',
    '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n'
  })
  t.equal(cgroupCpuLimit(read), 2.5)
  t.equal(cgroupCpuLimit(files({
    '/proc/self/cgroup': '4:cpu,cpuacct:/\n',
    '/proc/self/mountinfo': v1Mount('/', '/sys/fs/cgroup/cpu,cpuacct'),
    '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
    '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n'
  })), undefined, 'a quota of -1 is no limit')
  t.equal(cgroupCpuLimit(files({
    '/proc/self/cgroup': '4:cpu,cpuacct:/\n',
    '/proc/self/mountinfo': v1Mount('/', '/sys/fs/cgroup/cpu,cpuacct'),
    '/sys/fs/cgroup/cpu.cfs_quota_us': '10000\n',
    '/sys/fs/cgroup/cpu.cfs_period_us': '100000\n'
  })), undefined, 'nothing above the mount point is read')
})

t.test('a hybrid system: the v1 hierarchy that holds the cpu controller, not the empty v2 one beside it', async t => {
  const read = files({
    '/proc/self/cgroup': '4:cpu,cpuacct:/user.slice\n0::/user.slice\n',
    '/proc/self/mountinfo': '30 25 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n' + v1Mount('/', '/sys/fs/cgroup/cpu,cpuacct'),
    '/sys/fs/cgroup/cpu,cpuacct/user.slice/cpu.cfs_quota_us': '100000\n',
    '/sys/fs/cgroup/cpu,cpuacct/user.slice/cpu.cfs_period_us': '100000\n'
  })
  t.equal(cgroupCpuLimit(read), 1)
})

t.test('no cgroup file system (another OS, /proc not mounted): no limit', async t => {
  t.equal(cgroupCpuLimit(files({})), undefined)
  t.equal(cgroupCpuLimit(files({ '/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': '22 1 0:21 / /proc rw - proc proc rw\n' })), undefined)
})

t.test('generated cgroup v2 paths: the limit is the smallest set on the path, whatever the depth and the values', async t => {
  const limit = fc.record({ quota: fc.integer({ min: 1000, max: 6_400_000 }), period: fc.integer({ min: 1000, max: 1_000_000 }) })
  const level = fc.option(limit, { nil: undefined })
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(level, { minLength: 1, maxLength: 6 }), levels => {
    // levels[0] is the mount's root, the last the process's own cgroup.
    const own = levels.slice(1).map((_, i) => `c${i}`).join('/')
    const entries: Record<string, string> = { '/proc/self/mountinfo': V2_MOUNT, '/proc/self/cgroup': `0::/${own}\n` }
    let expected: number | undefined
    levels.forEach((l, i) => {
      const dir = ['/sys/fs/cgroup', ...levels.slice(1, i + 1).map((_, j) => `c${j}`)].join('/')
      entries[`${dir}/cpu.max`] = l === undefined ? 'max 100000\n' : `${l.quota} ${l.period}\n`
      if (l !== undefined) expected = Math.min(expected ?? Infinity, l.quota / l.period)
    })
    return cgroupCpuLimit(files(entries)) === expected
  })))
})

t.test('workers: auto takes no more workers than the CPU limit allows, rounded up, and at least one', async t => {
  const cpus = availableParallelism()
  t.equal(workerCount('auto', undefined), cpus, 'no limit: one per CPU')
  t.equal(workerCount('auto', 0.5), 1)
  t.equal(workerCount('auto', 0.01), 1)
  t.equal(workerCount('auto', 1.5), Math.min(cpus, 2), 'a part of a CPU is worth a worker')
  t.equal(workerCount('auto', cpus * 4), cpus, 'a limit above the CPUs changes nothing')
  t.equal(workerCount(3, 0.5), 3, 'a number is what the operator asked for, limit or not')
})
