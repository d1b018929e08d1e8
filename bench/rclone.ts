/** rclone as the benchmarks run it: remotes from environment variables, no config file. */
import { MINIO_PASSWORD, MINIO_USER, type TestMinio } from '../test/helpers/minio.js'

/** AWS_CA_BUNDLE (set on some machines) makes rclone's S3 client fail to start; traffic is plain HTTP. */
export const withoutCaBundle = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'AWS_CA_BUNDLE'))

/** An rclone remote `name:` for a test MinIO. */
export const rcloneEnv = (name: string, minio: TestMinio): Record<string, string> =>
  rcloneRemote(name, 'Minio', minio.endpoint, MINIO_USER, MINIO_PASSWORD)

/** An rclone S3 remote `name:` for any S3 server on loopback. */
export function rcloneRemote(
  name: string,
  provider: string,
  endpoint: string,
  accessKey: string,
  secretKey: string,
): Record<string, string> {
  const p = `RCLONE_CONFIG_${name.toUpperCase()}_`
  return {
    [`${p}TYPE`]: 's3',
    [`${p}PROVIDER`]: provider,
    [`${p}ENDPOINT`]: `http://${endpoint}`,
    [`${p}ACCESS_KEY_ID`]: accessKey,
    [`${p}SECRET_ACCESS_KEY`]: secretKey,
    [`${p}REGION`]: 'us-east-1',
    [`${p}FORCE_PATH_STYLE`]: 'true',
  }
}
