import t from 'tap'
import { DEFAULT_HEAP_GROWING_PERCENT, tuneHeapGrowth } from '../../runtime/heap.js'

t.test('gatehouse start sets V8\'s heap growing factor unless told otherwise', async t => {
  t.equal(tuneHeapGrowth({}, []), DEFAULT_HEAP_GROWING_PERCENT, 'by default: 1.5')
  t.equal(DEFAULT_HEAP_GROWING_PERCENT, 50)
  t.equal(tuneHeapGrowth({ GATEHOUSE_HEAP_GROWING_PERCENT: '25' }, []), 25, 'GATEHOUSE_HEAP_GROWING_PERCENT chooses')
  t.equal(tuneHeapGrowth({ GATEHOUSE_HEAP_GROWING_PERCENT: '0' }, []), undefined, '0 leaves V8\'s own heuristics')
  t.equal(tuneHeapGrowth({}, ['--heap-growing-percent=80']), undefined, 'a node flag of its own wins')
  t.equal(tuneHeapGrowth({ GATEHOUSE_HEAP_GROWING_PERCENT: '25' }, ['--heap_growing_percent=80']), undefined, 'in either spelling')
  t.throws(
    () => tuneHeapGrowth({ GATEHOUSE_HEAP_GROWING_PERCENT: 'lots' }, []),
    /GATEHOUSE_HEAP_GROWING_PERCENT must be a whole number from 0 to 1000, not "lots"/
  )
  t.throws(() => tuneHeapGrowth({ GATEHOUSE_HEAP_GROWING_PERCENT: '-5' }, []), /whole number/)
})
