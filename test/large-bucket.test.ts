/**
 * A bucket of 100,000 objects on a real MinIO, tracked by a real control: indexed in batches,
 * counted per bucket without object rows in /api/resources (small and fast enough to poll),
 * listed page by page and by prefix through the API, and browsed a page at a time in Chromium.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectPageErrors, launchChromium, screenshot } from './helpers/browser.js'
import { startTestControl, TEST_TOKEN, type TestControl } from './helpers/control.js'
import { startMinio, type TestMinio } from './helpers/minio.js'
import { waitFor } from './helpers/ports.js'
import { fillBucket, s3Of, trackBody } from './helpers/storage.js'

const COUNT = 100_000

let fado: TestControl
let minio: TestMinio
let keys: string[]

beforeAll(async () => {
  minio = await startMinio()
  await s3Of(minio).makeBucket('huge')
  let t0 = performance.now()
  keys = await fillBucket(minio, 'huge', COUNT)
  console.info(
    `filled MinIO with ${COUNT} objects in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  fado = await startTestControl({ kind: 'pglite-memory' })
  t0 = performance.now()
  const cluster = (await fado.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
  const tracked = await fado.api('POST', '/api/storage-deployments', trackBody(minio, 'm', cluster))
  expect(tracked.status).toBe(201)
  await waitFor(
    'the 100,000 objects to be indexed',
    async () => {
      const b = (await fado.api('GET', '/api/buckets')).body.find(
        (x: { name: string }) => x.name === 'huge',
      )
      return b?.object_count === COUNT
    },
    180_000,
  )
  console.info(`FaDO indexed them in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}, 400_000)

afterAll(async () => {
  await fado?.close()
  await minio?.destroy()
})

describe('a 100,000-object bucket', () => {
  it('/api/resources carries counts, not objects: under 64 KB and 50 ms', async () => {
    const times: number[] = []
    let bytes = 0
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now()
      const res = await fado.fetch('/api/resources')
      const text = await res.text()
      times.push(performance.now() - t0)
      bytes = Buffer.byteLength(text)
      expect(res.status).toBe(200)
    }
    const body = JSON.parse((await (await fado.fetch('/api/resources')).text()) as string)
    expect(body.objects).toBeUndefined()
    const huge = body.buckets.find((b: { name: string }) => b.name === 'huge')
    expect(huge).toMatchObject({ object_count: COUNT, total_bytes: COUNT * 100 })
    const median = times.sort((a, b) => a - b)[3] as number
    console.info(`/api/resources: ${bytes} bytes, median ${median.toFixed(1)} ms`)
    expect(bytes).toBeLessThan(64 * 1024)
    expect(median).toBeLessThan(50)
  })

  it('pages through every object in key order, 1,000 at a time; a prefix narrows it', async () => {
    const seen: string[] = []
    let after = ''
    let pages = 0
    for (;;) {
      const res = await fado.api(
        'GET',
        `/api/objects?bucket=huge&limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      )
      expect(res.status).toBe(200)
      pages++
      for (const o of res.body.objects as { name: string; size: number }[]) {
        seen.push(o.name)
        expect(o.size).toBe(100)
      }
      if (res.body.next_after === null) break
      after = res.body.next_after
    }
    expect(pages).toBe(COUNT / 1000)
    expect(seen).toEqual(keys)
    const prefixed = await fado.api('GET', '/api/objects?bucket=huge&prefix=obj/0999&limit=1000')
    expect(prefixed.body.objects.map((o: { name: string }) => o.name)).toEqual(
      keys.filter((k) => k.startsWith('obj/0999')),
    )
    expect(prefixed.body.next_after).toBeNull()
    const bad = await fado.api('GET', '/api/objects?bucket=huge&limit=5000')
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('limit')
  })

  describe('in the admin page', () => {
    let browser: Browser
    let page: Page
    let errors: string[]
    beforeAll(async () => {
      browser = await launchChromium()
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
      errors = collectPageErrors(page)
      await page.goto(`${fado.running.apiUrl}/#token=${TEST_TOKEN}`)
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
    })
    afterAll(async () => {
      await browser?.close()
    })

    it('shows the first page of objects in under a second, then pages and filters', async () => {
      const t0 = performance.now()
      await page.goto(`${fado.running.apiUrl}/objects/huge`)
      await page.getByRole('rowheader', { name: keys[0] as string, exact: true }).waitFor()
      const firstScreenMs = performance.now() - t0
      console.info(`objects page, first screen: ${firstScreenMs.toFixed(0)} ms`)
      expect(firstScreenMs).toBeLessThan(1_000)
      await page
        .getByText('1–50 of 100000')
        .waitFor({ timeout: 5_000 })
        .catch(async (err: unknown) => {
          throw new Error(`${String(err)}\n${await page.locator('main').innerText()}`)
        })
      await screenshot(page, 'objects-100k')

      await page.getByRole('button', { name: 'Next' }).click()
      await page.getByRole('rowheader', { name: keys[50] as string, exact: true }).waitFor()
      await page.getByText('51–100 of 100000').waitFor()
      await page.getByRole('button', { name: 'Previous' }).click()
      await page.getByRole('rowheader', { name: keys[0] as string, exact: true }).waitFor()

      // The last ten keys: obj/99990 … obj/99999.
      const last = keys.at(-1) as string
      await page.getByLabel('Names starting with').fill(last.slice(0, -1))
      await page.getByRole('button', { name: 'Filter' }).click()
      await page.getByRole('rowheader', { name: last, exact: true }).waitFor()
      expect(await page.getByRole('row').count()).toBe(11) // the header row + 10
      expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true)
      await screenshot(page, 'objects-100k-prefix')
      expect(errors).toEqual([])
    })
  })
})
