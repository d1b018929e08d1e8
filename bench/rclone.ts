/** rclone as the benchmarks run it: remotes from environment variables, no config file. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { MINIO_PASSWORD, MINIO_USER, type TestMinio } from '../test/helpers/minio.js'

const run = promisify(execFile)

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

/** Seconds of CPU (user + system) in a bash `times` line such as "0m0.512s 0m0.110s". */
const cpuOfTimes = (line: string): number =>
  [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0)

/**
 * `rclone sync a:bucket c:bucket` with `args`: its wall ms, the CPU seconds rclone used (bash's
 * `times` for its children) and its log (stderr).
 */
export async function rcloneSync(
  bucket: string,
  env: Record<string, string>,
  args: string[],
): Promise<{ ms: number; cpu: number; log: string }> {
  const t0 = performance.now()
  const { stdout, stderr } = await run(
    'bash',
    ['-c', 'rclone "$@"; times', 'rclone', 'sync', `a:${bucket}`, `c:${bucket}`, ...args],
    {
      // AWS_CA_BUNDLE (set on some machines) makes rclone's S3 client fail to start; the traffic
      // here is plain HTTP on loopback, so it is dropped.
      env: { ...withoutCaBundle(process.env), ...env, RCLONE_CONFIG: '/dev/null' },
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  const ms = performance.now() - t0
  return { ms, cpu: cpuOfTimes(stdout.trim().split('\n').at(-1) ?? ''), log: stderr }
}
