import { describe, expect, it } from 'vitest'
import { requestId } from './request-id.js'

const generated = () => 'generated-id'

describe('requestId', () => {
  it("keeps a client's well-formed id", () => {
    for (const id of ['abc', '4bf92f3577b34da6a3ce929d0e0e4736', 'trace-1:span-2', 'a/b+c=='])
      expect(requestId(id, generated)).toBe(id)
  })
  it('replaces a missing, empty, long or unsafe one', () => {
    for (const id of [undefined, null, '', 'x'.repeat(129), 'has space', 'a\u0000b', 'é', 'a,b'])
      expect(requestId(id, generated)).toBe('generated-id')
  })
})
