/** What a storage deployment is to FaDO: its kind, capabilities, connection, and objects. */
import type { LookupFunction } from 'node:net'
import type { Readable } from 'node:stream'

/** 'minio': MinIO with its extras (admin API, webhooks, event stream, snowball); 's3': any S3 server. */
export type StorageKind = 'minio' | 's3'
export const STORAGE_KINDS = ['minio', 's3'] as const
/** 'path': host/bucket/key; 'virtual': bucket.host/key. */
export type StorageAddressing = 'path' | 'virtual'
export const STORAGE_ADDRESSING = ['path', 'virtual'] as const
/**
 * What a storage adaptor offers beyond plain S3. Code above the adaptor asks these, never the kind.
 */
export interface StorageCapabilities {
  /** An admin API: the server's own identity, its configuration, webhook targets. */
  adminApi: boolean
  /** Pushes its changes (webhook targets, the listen event stream); without, FaDO lists masters. */
  changeEvents: boolean
  /** Takes many small objects in one upload (snowball). */
  batchUploads: boolean
  /** Deletes a non-empty bucket in one call (x-minio-force-delete). */
  forceDelete: boolean
}

export const CAPABILITIES: Record<StorageKind, StorageCapabilities> = {
  minio: { adminApi: true, changeEvents: true, batchUploads: true, forceDelete: true },
  s3: { adminApi: false, changeEvents: false, batchUploads: false, forceDelete: false },
}

/** The region requests are signed for unless a deployment says otherwise. */
export const DEFAULT_REGION = 'us-east-1'

export interface StorageConnection {
  endpoint: string
  use_ssl: boolean
  access_key: string
  secret_key: string
  /** Default 'minio'. */
  kind?: StorageKind | undefined
  /** Default us-east-1. */
  region?: string | undefined
  /** Default 'path'. */
  addressing?: StorageAddressing | undefined
}

export interface ObjectEntry {
  key: string
  size: number
  etag: string
  last_modified: Date
}

export interface ObjectStream {
  body: Readable
  size: number
  etag: string
  content_type: string
  last_modified: Date
}

/** When a deployment is made without one (see --storage-timeout). */
export const DEFAULT_STORAGE_TIMEOUT_MS = 10_000

export interface StorageOptions {
  /** Per-call limit to connect, to get an answer, and between body chunks. */
  timeoutMs?: number
  /** Objects larger than this are written as multipart uploads (default 5 GiB). */
  multipartThresholdBytes?: number
  /**
   * How host names resolve (default: the system's). Tests give one to stand in for wildcard DNS
   * (bucket.localhost), which this machine's resolver does not answer.
   */
  lookup?: LookupFunction
}
