import cluster from 'node:cluster'
import { writeFileSync } from 'node:fs'

/**
 * Preloaded (`--import`) into a cluster primary: writes how many messages its workers have sent
 * so far to the file in GATEHOUSE_TEST_MESSAGE_COUNT, so a test can see the IPC traffic that
 * requests cause. Workers load it too and do nothing.
 */
const file = process.env.GATEHOUSE_TEST_MESSAGE_COUNT
if (cluster.isPrimary && file !== undefined) {
  let count = 0
  writeFileSync(file, '0')
  cluster.on('message', () => { writeFileSync(file, String(++count)) })
}
