import t from 'tap'
import { MAX_SEMI_SPACE_MIB, workerExecArgv, youngGenerationSized, youngGenerationUncapped } from '../../runtime/heap.js'

t.test('a young-generation size is read from node\'s flags and NODE_OPTIONS, in either spelling', async t => {
  t.notOk(youngGenerationSized([], undefined), 'none')
  t.notOk(youngGenerationSized(['--max-old-space-size=512', '--semi-space-growth-factor=2'], '--max-old-space-size=512'), 'other heap flags are not it')
  t.ok(youngGenerationSized(['--max-semi-space-size=32'], undefined))
  t.ok(youngGenerationSized(['--max_semi_space_size=8'], undefined))
  t.ok(youngGenerationSized([], '--enable-source-maps --max-semi-space-size=64'))
  t.ok(youngGenerationSized([], '--max_semi_space_size=4'))
  t.notOk(youngGenerationSized([], '--no-max-semi-space-size-typo'), 'a flag that only contains the name is not it')
})

t.test('workers start with the primary\'s flags and the cap, unless a size was chosen', async t => {
  t.same(workerExecArgv([], undefined), [`--max-semi-space-size=${MAX_SEMI_SPACE_MIB}`])
  t.same(workerExecArgv(['--enable-source-maps'], ''), ['--enable-source-maps', '--max-semi-space-size=16'], 'the primary\'s own flags kept, in order')
  t.same(workerExecArgv(['--max-semi-space-size=32'], undefined), ['--max-semi-space-size=32'], 'the operator\'s size wins')
  t.same(workerExecArgv([], '--max-semi-space-size=8'), [], 'NODE_OPTIONS reaches the workers by itself')
})

t.test('a process serving without a cap is told so from Node 24 on, where V8 grows the young generation past it', async t => {
  t.ok(youngGenerationUncapped('24.22.3', [], undefined))
  t.ok(youngGenerationUncapped('25.0.0', [], ''))
  t.notOk(youngGenerationUncapped('22.23.5', [], undefined), 'Node 22 stops at the cap by itself')
  t.notOk(youngGenerationUncapped('24.22.3', ['--max-semi-space-size=16'], undefined))
  t.notOk(youngGenerationUncapped('24.22.3', [], '--max-semi-space-size=64'), 'any size chosen: the operator\'s choice')
})
