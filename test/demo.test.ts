/**
 * `fado demo` as a newcomer runs it: up within 60 s with routed invocations answering, each
 * bucket served by the clusters holding it; Ctrl-C ends it cleanly. Without MinIO (and no Go to
 * build it) it says how to install it instead of failing obscurely.
 */
import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, waitFor } from './helpers/ports.js'
import { runFado, startFado, type RunningFado } from './helpers/fado-process.js'

const running: RunningFado[] = []
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop('SIGKILL')
})

describe('fado demo', () => {
  it('starts a three-cluster platform within 60 s; invocations land next to their data; Ctrl-C stops it', async () => {
    const [apiPort, edgePort] = [await freePort(), await freePort()]
    const t0 = Date.now()
    const demo = startFado([
      'demo',
      '--api-port',
      String(apiPort),
      '--edge-port',
      String(edgePort),
      '--log-level',
      'warn',
    ])
    running.push(demo)
    await demo.waitForOutput(/Ctrl-C stops everything/, 60_000)
    // Not at a terminal (stdout is a log here): the token is not printed; the file holding it is.
    const [, pageUrl, tokenFile] = await demo.waitForOutput(
      /admin page\s+(\S+)#token=<the token in (\S+)>/,
    )
    const token = fs.readFileSync(tokenFile as string, 'utf8').trim()
    expect(demo.stdout()).not.toContain(token)
    expect(fs.statSync(tokenFile as string).mode & 0o077).toBe(0)
    const page = await fetch(pageUrl as string)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<div id="app">')
    const buckets = await fetch(`http://127.0.0.1:${apiPort}/api/buckets`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(((await buckets.json()) as { name: string }[]).map((b) => b.name).sort()).toEqual([
      'images',
      'ml-models',
      'shared-data',
    ])
    const expected: Record<string, string[]> = {
      images: ['cloud-1', 'hpc'],
      'ml-models': ['cloud-2'],
      'shared-data': ['cloud-1', 'cloud-2', 'hpc'],
    }
    for (const [bucket, clusters] of Object.entries(expected)) {
      expect(demo.stdout()).toContain(`X-FaDO-Bucket: ${bucket}`)
      // The demo waits (bounded) for its replicas; on a loaded machine the last may turn synced a
      // moment after it prints. Every answer must come from a cluster holding the data, and, soon,
      // every such cluster must answer.
      let seen = new Set<string>()
      await waitFor(
        `invocations of ${bucket} to land on ${clusters.join(', ')}`,
        async () => {
          seen = new Set<string>()
          for (let i = 0; i < 6; i++) {
            const res = await fetch(
              `http://127.0.0.1:${edgePort}/function/image?object=photo.jpg`,
              { headers: { 'X-FaDO-Bucket': bucket } },
            )
            const body = (await res.json()) as { cluster: string; size: number }
            expect(res.status).toBe(200)
            expect(body.size).toBe(200_000)
            const cluster = res.headers.get('x-fado-cluster') ?? ''
            expect(clusters).toContain(cluster)
            seen.add(cluster)
          }
          return seen.size === clusters.length
        },
        30_000,
      )
      expect([...seen].sort()).toEqual(clusters)
    }
    // Two functions deployed differently: each lands only where it can run, at its own path.
    const fnCalls: [string, string, string, Record<string, string>][] = [
      [
        'shared-data',
        'resize',
        '/?object=photo.jpg',
        { hpc: '/function/resize?object=photo.jpg', 'cloud-2': '/?object=photo.jpg' },
      ],
      ['images', 'train', '/epochs?n=3', { hpc: '/function/train/epochs?n=3' }],
    ]
    for (const [bucket, fn, target, lands] of fnCalls) {
      expect(demo.stdout()).toContain(`X-FaDO-Function: ${fn}`)
      const seen = new Set<string>()
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`http://127.0.0.1:${edgePort}${target}`, {
          headers: { 'X-FaDO-Bucket': bucket, 'X-FaDO-Function': fn },
        })
        const body = (await res.json()) as { cluster: string; function: string; raw: string }
        expect(res.status, JSON.stringify(body)).toBe(200)
        expect(body.function).toBe(fn)
        expect(body.raw).toBe(lands[body.cluster])
        seen.add(body.cluster)
      }
      expect([...seen].sort()).toEqual(Object.keys(lands).sort())
    }
    expect(Date.now() - t0).toBeLessThan(60_000)
    expect(await demo.stop('SIGINT')).toBe(0)
    await expect(fetch(`http://127.0.0.1:${apiPort}/healthz`)).rejects.toThrow()
  })

  it('without a MinIO binary and without Go, says how to install it', async () => {
    const { code, stderr } = await runFado(
      ['demo', '--api-port', String(await freePort()), '--edge-port', String(await freePort())],
      {
        env: { PATH: '/usr/bin:/bin', FADO_MINIO_BIN: '/nonexistent/minio' },
      },
    )
    expect(code).toBe(1)
    expect(stderr).toMatch(/MinIO server is not installed\. Install it with: npm run setup/)
  })
})
