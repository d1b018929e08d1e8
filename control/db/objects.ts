/** Objects (thesis §4.1.6): what each bucket holds, as last seen on its master copy. */
import type { Queryable } from './client.js'

export interface ObjectRow {
  object_id: number
  bucket_id: number
  name: string
  size: number
  etag: string
  last_modified: Date
}

export async function listObjects(q: Queryable): Promise<ObjectRow[]> {
  return q.query<ObjectRow>(
    'SELECT object_id, bucket_id, name, size, etag, last_modified FROM objects ORDER BY bucket_id, name',
  )
}
