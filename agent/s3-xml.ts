/** Pure: the S3 request bodies both control's copier and an agent send. */

/** The body of CompleteMultipartUpload: each part's number and the ETag its upload answered. */
export const completeMultipartXml = (etags: readonly string[]): string =>
  '<CompleteMultipartUpload>' +
  etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('') +
  '</CompleteMultipartUpload>'

/** XML character references as S3 servers write them in answers (&quot; or &#34; for a quote). */
const NAMED: Record<string, string> = { quot: '"', amp: '&', apos: "'", lt: '<', gt: '>' }

export const xmlUnescape = (text: string): string =>
  !text.includes('&')
    ? text
    : text.replace(/&(quot|amp|apos|lt|gt|#\d+|#x[0-9a-f]+);/gi, (_, ref: string) => {
        if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? ''
        return String.fromCodePoint(
          ref[1]?.toLowerCase() === 'x' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1)),
        )
      })
