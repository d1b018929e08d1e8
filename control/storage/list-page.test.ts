import { describe, expect, it } from 'vitest'
import { parseListPage } from './list-page.js'

const entry = (key: string, etag = '&quot;0cc175b9c0f1b6a831c399e269772661&quot;') =>
  `<Contents><Key>${key}</Key><LastModified>2026-12-03T04:00:00.123Z</LastModified><ETag>${etag}</ETag><Size>42</Size><StorageClass>STANDARD</StorageClass></Contents>`

describe('parseListPage', () => {
  it('reads URL-encoded keys (encoding-type=url) and the next token', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><NextContinuationToken>tok&amp;1</NextContinuationToken><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>${entry('a%20b%2Bc.txt')}${entry('%C3%A9t%C3%A9/%E2%9C%93')}${entry('x%26y%3Cz%3E', '&#34;abc-2&#34;')}</ListBucketResult>`
    const page = parseListPage(xml)
    expect(page.entries.map((e) => e.key)).toEqual(['a b+c.txt', 'été/✓', 'x&y<z>'])
    expect(page.entries[0]).toEqual({
      key: 'a b+c.txt',
      size: 42,
      etag: '0cc175b9c0f1b6a831c399e269772661',
      last_modified: new Date('2026-12-03T04:00:00.123Z'),
    })
    expect(page.entries[2]?.etag).toBe('abc-2')
    expect(page.nextToken).toBe('tok&1')
  })

  it('reads XML-escaped keys from a server that ignores encoding-type', () => {
    const xml = `<ListBucketResult><IsTruncated>false</IsTruncated>${entry('x&amp;y &lt;z&gt; a+b%20')}</ListBucketResult>`
    const page = parseListPage(xml)
    expect(page.entries.map((e) => e.key)).toEqual(['x&y <z> a+b%20'])
    expect(page.nextToken).toBeUndefined()
  })

  it('an empty bucket is an empty page', () => {
    expect(
      parseListPage('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>'),
    ).toEqual({
      entries: [],
      nextToken: undefined,
    })
  })

  it('refuses what is not a listing, an entry without its fields, a truncated page without a token', () => {
    expect(() => parseListPage('<Error><Code>NoSuchBucket</Code></Error>')).toThrow(
      /not a ListObjectsV2/,
    )
    expect(() =>
      parseListPage('<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>'),
    ).toThrow(/without Key, Size/)
    expect(() =>
      parseListPage('<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>'),
    ).toThrow(/without a next token/)
  })
})
