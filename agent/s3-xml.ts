/** Pure: the S3 request bodies both control's copier and an agent send. */

/** The body of CompleteMultipartUpload: each part's number and the ETag its upload answered. */
export const completeMultipartXml = (etags: readonly string[]): string =>
  '<CompleteMultipartUpload>' +
  etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('') +
  '</CompleteMultipartUpload>'
