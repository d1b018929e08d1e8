import { describe, expect, it } from 'vitest'
import { changedKeys } from './listing-poller.js'

const at = new Date(0)
describe('changedKeys', () => {
  it('finds new, changed and vanished keys; equal ones are left alone', () => {
    expect(
      changedKeys(
        [
          { key: 'a', size: 1, etag: 'e1', last_modified: at },
          { key: 'b', size: 2, etag: 'e2-new', last_modified: at },
          { key: 'c', size: 3, etag: 'e3', last_modified: at },
          { key: 'd', size: 5, etag: 'e4', last_modified: at },
        ],
        [
          { name: 'a', size: 1, etag: 'e1' },
          { name: 'b', size: 2, etag: 'e2' },
          { name: 'd', size: 4, etag: 'e4' },
          { name: 'gone', size: 9, etag: 'x' },
        ],
      ),
    ).toEqual(['b', 'c', 'd', 'gone'])
  })
})
