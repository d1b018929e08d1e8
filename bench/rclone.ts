/** rclone as the benchmarks run it: remotes from environment variables, no config file. */
import { MINIO_PASSWORD, MINIO_USER, type TestMinio } from '../test/helpers/minio.js'

/** AWS_CA_BUNDLE (set on some machines) makes rclone's S3 client fail to start; traffic is plain HTTP. */
export const withoutCaBundle = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'AWS_CA_BUNDLE'))

/** An rclone remote `name:` for a test MinIO. */
export function rcloneEnv(name: string, minio: TestMinio): Record<string, string> {
  const p = `RCLONE_CONFIG_${name.toUpperCase()}_`
  return {
    [`${p}TYPE`]: 's3',
    [`${p}PROVIDER`]: 'Minio',
    [`${p}ENDPOINT`]: `http://${minio.endpoint}`,
    [`${p}ACCESS_KEY_ID`]: MINIO_USER,
    [`${p}SECRET_ACCESS_KEY`]: MINIO_PASSWORD,
    [`${p}REGION`]: 'us-east-1',
  }
}
