/**
 * The admin page in a real Chromium against a real `fado standalone` (embedded database), two real
 * MinIO servers and a real function server: what a person does with it, checked on screen.
 * Screenshots of every page (wide and narrow) are written to test-artifacts/ui/.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFunctionServer, type RunningFunctionServer } from '../platform/function-server.js'
import { collectPageErrors, launchChromium, screenshot } from './helpers/browser.js'
import { FADO_BIN, spawnWithTerminal, type RunningFado } from './helpers/fado-process.js'
import { MINIO_PASSWORD, MINIO_USER, startMinios, type TestMinio } from './helpers/minio.js'
import { freePort, waitFor } from './helpers/ports.js'
import { listing, putBytes, randomData, readBytes } from './helpers/storage.js'

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

describe('admin page in Chromium', () => {
  let dataDir: string
  let fado: RunningFado
  let apiUrl: string
  let edgeUrl: string
  let loginUrl: string
  let token: string
  let minios: TestMinio[]
  let fn: RunningFunctionServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let errors: string[]

  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${apiUrl}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    })
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() }
  }
  const resources = async () => (await api('GET', '/api/resources')).body
  const nav = async (label: string) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click()
    await page.getByRole('heading', { level: 1 }).filter({ hasText: label }).waitFor()
  }
  const dialog = (name: string | RegExp) => page.getByRole('dialog', { name })
  const row = (text: string) => page.getByRole('row').filter({ hasText: text })
  const text = async () => (await page.locator('main').innerText()).replace(/\s+/g, ' ')
  const confirm = async (button: string, title: string, action: string) => {
    await page.getByRole('button', { name: button }).click()
    await dialog(title).getByRole('button', { name: action }).click()
    await dialog(title).waitFor({ state: 'detached' })
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-ui-'))
    const [apiPort, edgePort] = [await freePort(), await freePort()]
    // At a terminal, as a person starts it: the login URL is printed with its token.
    fado = spawnWithTerminal(
      `${process.execPath} ${FADO_BIN} standalone --api-port ${apiPort} --edge-port ${edgePort}`,
      dataDir,
    )
    const printed = await fado.waitForOutput(/login URL\s+(\S+#token=(\S+))/)
    loginUrl = printed[1] as string
    token = printed[2] as string
    apiUrl = `http://127.0.0.1:${apiPort}`
    edgeUrl = `http://127.0.0.1:${edgePort}`
    minios = await startMinios(2)
    fn = await startFunctionServer({ cluster: 'cloud', storage: minios[1]!.storage() })
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
    errors = collectPageErrors(page)
  })

  afterAll(async () => {
    await browser?.close()
    await fn?.close()
    await Promise.all((minios ?? []).map((m) => m.destroy()))
    expect(await fado?.stop()).toBe(0)
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('the printed login URL signs the tab in and takes the token out of the address bar', async () => {
    await page.goto(loginUrl)
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
    expect(page.url()).toBe(`${apiUrl}/`)
    expect(await text()).toContain('Published route snapshot')
    await screenshot(page, 'dashboard-empty')

    // Another tab (a new browser context) is not signed in, and a wrong token is refused there.
    const other = await context.browser()!.newPage()
    await other.goto(apiUrl)
    await other.getByRole('heading', { name: 'Sign in to FaDO' }).waitFor()
    await screenshot(other, 'sign-in')
    await other.getByLabel('Admin token').fill('not-the-token')
    await other.getByRole('button', { name: 'Sign in' }).click()
    await other.getByRole('alert').filter({ hasText: 'That token was not accepted.' }).waitFor()
    await other.getByLabel('Admin token').fill(token)
    await other.getByRole('button', { name: 'Sign in' }).click()
    await other.getByRole('heading', { name: 'Dashboard' }).waitFor()
    await other.close()
  })

  it('client routes survive a reload (the server answers them with the page)', async () => {
    await page.goto(`${apiUrl}/load-balancer`)
    await page.getByRole('heading', { name: 'Load balancer' }).waitFor()
    await page.goto(`${apiUrl}/no/such/page`)
    await page.getByRole('heading', { name: 'Page not found' }).waitFor()
    await page.getByRole('link', { name: 'Back to the dashboard' }).click()
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
  })

  it('a bad cluster name shows the API’s message under the field and creates nothing', async () => {
    await nav('Clusters')
    await page.getByText('No clusters yet').waitFor()
    await page.getByRole('button', { name: 'Add cluster' }).click()
    const d = dialog('Add cluster')
    await d.getByLabel('Name').fill('bad name!')
    await d.getByRole('button', { name: 'Add cluster' }).click()
    const name = d.getByLabel('Name')
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true')
    expect(await d.locator('.field-error').innerText()).toMatch(/^must be 1 to 63 letters/)
    expect(await name.evaluate((el) => el === document.activeElement)).toBe(true)
    await screenshot(page, 'clusters-validation-error')
    expect((await resources()).clusters).toEqual([])

    await name.fill('hpc')
    await d.getByLabel('Zones').fill('germany, high-performance')
    await d.getByRole('button', { name: 'Add cluster' }).click()
    await d.waitFor({ state: 'detached' })
    await row('hpc').getByText('high-performance').waitFor()
    expect(await row('hpc').getByRole('listitem').allInnerTexts()).toEqual([
      'germany',
      'high-performance',
    ])

    await page.getByRole('button', { name: 'Add cluster' }).click()
    await dialog('Add cluster').getByLabel('Name').fill('cloud')
    await dialog('Add cluster').getByLabel('Zones').fill('germany')
    await dialog('Add cluster').getByRole('button', { name: 'Add cluster' }).click()
    await row('cloud').waitFor()
    expect((await resources()).clusters.map((c: { name: string }) => c.name)).toEqual([
      'hpc',
      'cloud',
    ])
    await screenshot(page, 'clusters')
  })

  it('dialogs work from the keyboard: focus inside, Tab stays inside, Escape closes', async () => {
    const add = page.getByRole('button', { name: 'Add cluster' })
    await add.focus()
    await page.keyboard.press('Enter')
    const d = dialog('Add cluster')
    await d.waitFor()
    expect(await d.getByLabel('Name').evaluate((el) => el === document.activeElement)).toBe(true)
    for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key)
      expect(await d.evaluate((el) => el.contains(document.activeElement)), key).toBe(true)
    }
    await page.keyboard.press('Escape')
    await d.waitFor({ state: 'detached' })
    expect(await add.evaluate((el) => el === document.activeElement)).toBe(true)
  })

  it('adds a FaaS deployment to a cluster, refusing a URL that is not http(s)', async () => {
    await nav('FaaS deployments')
    await page.getByRole('button', { name: 'Add FaaS deployment' }).click()
    const d = dialog('Add FaaS deployment')
    await d.getByLabel('Cluster').selectOption({ label: 'cloud' })
    await d.getByLabel('URL').fill('ftp://127.0.0.1/fn')
    await d.getByRole('button', { name: 'Add deployment' }).click()
    await d.locator('.field-error').waitFor()
    expect(await d.getByLabel('URL').getAttribute('aria-invalid')).toBe('true')
    await d.getByLabel('URL').fill(fn.url)
    await d.getByRole('button', { name: 'Add deployment' }).click()
    await d.waitFor({ state: 'detached' })
    await row(fn.url).getByText('cloud').waitFor()
    await screenshot(page, 'faas')
  })

  it('creates a function with a trigger, refusing a bad target under its field, then edits it', async () => {
    await nav('Functions')
    await page.getByRole('button', { name: 'Add function' }).click()
    const d = dialog('Add function')
    await d.getByLabel('Name').fill('resize')
    await d.getByLabel('Required zones').fill('gpu')
    const trigger = d.getByLabel(`Trigger on ${fn.url} (cloud)`)
    await trigger.fill('/function/../admin')
    await d.getByRole('button', { name: 'Add function' }).click()
    await d.locator('.field-error').waitFor()
    expect(await trigger.getAttribute('aria-invalid')).toBe('true')
    expect((await api('GET', '/api/functions')).body).toEqual([])
    await trigger.fill('/function/resize')
    await d.getByRole('button', { name: 'Add function' }).click()
    await d.waitFor({ state: 'detached' })
    const line = row('resize')
    await line.getByText(`${fn.url}/function/resize`).waitFor()
    await line.getByText('gpu').waitFor()
    const [made] = (await api('GET', '/api/functions')).body
    expect(made).toMatchObject({
      name: 'resize',
      zones: ['gpu'],
      triggers: [{ target: '/function/resize' }],
    })
    await page.getByRole('button', { name: 'Edit resize' }).click()
    const e = dialog('Edit function resize')
    await e.getByLabel('Required zones').fill('')
    await e.getByLabel(`Trigger on ${fn.url} (cloud)`).fill('https://resize.example.org/')
    await e.getByRole('button', { name: 'Save' }).click()
    await e.waitFor({ state: 'detached' })
    await line.getByText('https://resize.example.org', { exact: true }).waitFor()
    expect((await api('GET', '/api/functions')).body[0]).toMatchObject({
      zones: [],
      triggers: [{ target: 'https://resize.example.org' }],
    })
    await screenshot(page, 'functions')
  })

  it('tracking storage checks the connection and never shows the secret', async () => {
    await nav('Storage')
    const open = async (alias: string, cluster: string, minio: TestMinio, secret: string) => {
      await page.getByRole('button', { name: 'Track storage' }).click()
      const d = dialog('Track a storage deployment')
      await d.getByLabel('Alias').fill(alias)
      await d.getByLabel('Cluster').selectOption({ label: cluster })
      await d.getByLabel('Endpoint').fill(minio.endpoint)
      await d.getByLabel('Access key').fill(MINIO_USER)
      await d.getByLabel('Secret key').fill(secret)
      return d
    }
    const track = async (alias: string, cluster: string, minio: TestMinio, secret: string) => {
      const d = await open(alias, cluster, minio, secret)
      await d.getByRole('button', { name: 'Check and track' }).click()
      return d
    }
    // Another S3 server: a region of its own, checked by the API, shown under its field.
    const s3 = await open('s3-try', 'hpc', minios[0]!, MINIO_PASSWORD)
    await s3.getByLabel('Kind').selectOption('s3')
    await s3.getByLabel('Region').fill('EU West')
    await s3.getByRole('button', { name: 'Check and track' }).click()
    await s3.locator('.field-error').filter({ hasText: 'must be a region name' }).waitFor()
    await s3.getByRole('button', { name: 'Cancel' }).click()
    await s3.waitFor({ state: 'detached' })
    const d = await track('minio-hpc', 'hpc', minios[0]!, 'wrong-secret-key')
    const alert = d.getByRole('alert')
    await alert.waitFor()
    expect(await alert.innerText()).toMatch(/credentials|access key|signature/i)
    await screenshot(page, 'storage-connection-error')
    expect((await resources()).storage_deployments).toEqual([])
    await d.getByLabel('Secret key').fill(MINIO_PASSWORD)
    await d.getByRole('button', { name: 'Check and track' }).click()
    await d.waitFor({ state: 'detached' })
    await row('minio-hpc').getByText(minios[0]!.endpoint).waitFor()

    // FaDO configured its webhook on the first; the second is left alone when asked to.
    await row('minio-hpc').getByText('webhook').waitFor()
    const cloud = await open('minio-cloud', 'cloud', minios[1]!, MINIO_PASSWORD)
    await cloud.getByLabel(/Configure FaDO's webhook/).uncheck()
    await cloud.getByRole('button', { name: 'Check and track' }).click()
    await row('minio-cloud').getByText('event stream').waitFor()
    expect(await page.content()).not.toContain(MINIO_PASSWORD)
    await screenshot(page, 'storage-event-stream')
    // …and set up later from the list, on request.
    await confirm(
      'Set up the webhook on minio-cloud',
      "Set up FaDO's webhook on minio-cloud?",
      'Set up and restart',
    )
    await row('minio-cloud').getByText('webhook', { exact: true }).waitFor()
    expect(await row('minio-cloud').getByText('event stream').count()).toBe(0)
    await screenshot(page, 'storage')
  })

  it('a bucket with a replica policy shows its replica reach synced, live', async () => {
    await nav('Buckets')
    await page.getByRole('button', { name: 'Create bucket' }).click()
    const d = dialog('Create bucket')
    await d.getByLabel('Name').fill('images')
    await d.getByLabel('Master copy on').selectOption({ label: 'minio-hpc (hpc)' })
    await d.getByLabel('Allowed zones', { exact: true }).fill('germany')
    await d.getByLabel('Replicas wanted').fill('1')
    await d.getByRole('button', { name: 'Create bucket' }).click()
    await d.waitFor({ state: 'detached' })
    const replicas = page.getByRole('list', { name: 'replicas of images' })
    await replicas.getByText('minio-cloud').waitFor()
    await replicas.getByText('synced').waitFor({ timeout: 20_000 })
    expect(await row('images').innerText()).toContain('minio-hpc')
    await screenshot(page, 'buckets')

    // The policy dialog shows the current policy and saves changes.
    await page.getByRole('button', { name: 'Edit policy of images' }).click()
    const policy = dialog('Replica policy of images')
    expect(await policy.getByLabel('Allowed zones', { exact: true }).inputValue()).toBe('germany')
    expect(await policy.getByLabel('Replicas wanted').inputValue()).toBe('1')
    await policy.getByLabel('Replicas wanted').fill('-1')
    await policy.getByRole('button', { name: 'Save policy' }).click()
    await policy.getByText('must be a whole number from 0 to 100').waitFor()
    await screenshot(page, 'buckets-policy-dialog')
    await policy.getByRole('button', { name: 'Cancel' }).click()
    expect((await resources()).buckets[0].target_replica_count).toBe(1)
  })

  it('uploads an object with a progress bar and downloads it back byte-identical', async () => {
    await page.getByRole('link', { name: 'images' }).click()
    await page.getByRole('heading', { name: 'Objects' }).waitFor()
    // Record what the progress bar showed, as a person watching it would have seen it.
    await page.evaluate(() => {
      const seen: number[] = ((window as unknown as { progressSeen: number[] }).progressSeen = [])
      new MutationObserver(() => {
        const bar = document.querySelector('progress')
        if (bar) seen.push(bar.value)
      }).observe(document.body, { subtree: true, childList: true, attributes: true })
    })
    const data = randomData(6 * 1024 * 1024)
    await page.getByLabel('Upload files to images').setInputFiles({
      name: 'photo.bin',
      mimeType: 'application/octet-stream',
      buffer: data,
    })
    await page.getByText('Uploaded 1 file to images.').waitFor()
    await row('photo.bin').getByText('6.0 MiB').waitFor()
    const seen = await page.evaluate(
      () => (window as unknown as { progressSeen: number[] }).progressSeen,
    )
    expect(seen.length).toBeGreaterThan(0)
    expect(Math.max(...seen)).toBe(1)
    await screenshot(page, 'objects')

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download photo.bin' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('photo.bin')
    expect(sha256(fs.readFileSync(await download.path()))).toBe(sha256(data))
  })

  it('a replica object overwritten behind FaDO’s back is repaired by “Check now” and shown as repaired', async () => {
    const [hpc, cloud] = [minios[0]!, minios[1]!]
    const master = await readBytes(hpc, 'images', 'photo.bin')
    await waitFor('photo.bin on the replica', async () =>
      Object.keys((await listing(cloud, 'images')) ?? {}).includes('photo.bin'),
    )
    // Same size, other bytes, written straight to the replica's server.
    await putBytes(cloud, 'images', 'photo.bin', randomData(master.length))
    expect(sha256(await readBytes(cloud, 'images', 'photo.bin'))).not.toBe(sha256(master))

    await nav('Buckets')
    await page.getByRole('button', { name: 'Check replicas of images' }).click()
    const replicas = page.getByRole('list', { name: 'replicas of images' })
    await replicas.getByText('1 repaired from master').waitFor({ timeout: 15_000 })
    // The pass that repaired it verified the replica: when, what it compared, how long it took.
    await replicas.getByText(/verified .+: \d+ objects? compared in \d/).waitFor()
    expect(sha256(await readBytes(cloud, 'images', 'photo.bin'))).toBe(sha256(master))
    expect((await resources()).buckets[0].replicas[0]).toMatchObject({
      status: 'synced',
      repaired_objects: 1,
    })
    await screenshot(page, 'buckets-repaired')
  })

  it('load balancer: routes with upstream health, default policy in the raw snapshot, overrides', async () => {
    // One invocation through the edge, so the upstream has health and latency to show.
    const invoked = await fetch(`${edgeUrl}/function/echo`, {
      headers: { 'X-FaDO-Bucket': 'images' },
      signal: AbortSignal.timeout(10_000),
    })
    expect(invoked.status).toBe(200)
    expect(invoked.headers.get('x-fado-cluster')).toBe('cloud')

    await nav('Load balancer')
    const route = row('images')
    await route.getByText(fn.url).waitFor()
    await route.getByText('healthy').waitFor()
    await route.getByText(/\d+(\.\d)? ms/).waitFor()

    await page.getByLabel('Default policy').selectOption('least_conn')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Saved.').waitFor()
    await route.getByText('least_conn', { exact: true }).waitFor()
    await screenshot(page, 'load-balancer')

    await page.getByRole('button', { name: 'View raw snapshot' }).click()
    const raw = dialog('Route snapshot')
    await raw.getByText('"default_policy": "least_conn"').waitFor()
    expect(JSON.parse(await raw.getByLabel('route snapshot JSON').innerText())).toMatchObject({
      default_policy: 'least_conn',
      routes: { images: { policy: 'least_conn', upstreams: [{ url: fn.url, cluster: 'cloud' }] } },
    })
    await screenshot(page, 'load-balancer-snapshot')
    await page.keyboard.press('Escape')
    await raw.waitFor({ state: 'detached' })

    await page.getByLabel('Bucket header').fill('bad header')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('must be a valid HTTP header name').waitFor()
    expect((await api('GET', '/api/load-balancer/settings')).body.match_header).toBe(
      'X-FaDO-Bucket',
    )
    await page.getByLabel('Bucket header').fill('X-FaDO-Bucket')
    // Correcting the field clears its error message.
    await page.getByText('must be a valid HTTP header name').waitFor({ state: 'detached' })
    expect(await page.getByLabel('Bucket header').getAttribute('aria-invalid')).toBe('false')

    await route.getByRole('button', { name: 'Override route of images' }).click()
    const override = dialog('Route override for images')
    await override.getByLabel('Policy').selectOption('first')
    await override.getByLabel('Send invocations only to chosen FaaS deployments').check()
    const chosen = override.getByRole('group', { name: 'FaaS deployments' })
    expect(await chosen.getByRole('checkbox', { name: fn.url }).isChecked()).toBe(true)
    await screenshot(page, 'load-balancer-override')
    await override.getByRole('button', { name: 'Save override' }).click()
    await override.waitFor({ state: 'detached' })
    await route.getByText('override', { exact: true }).waitFor()
    await route.getByText('first', { exact: true }).waitFor()
    expect((await api('GET', '/api/load-balancer/route-overrides')).body).toEqual({
      images: { policy: 'first', faas_ids: [(await resources()).faas_deployments[0].faas_id] },
    })
    await route.getByRole('button', { name: 'Clear override of images' }).click()
    await route.getByText('least_conn', { exact: true }).waitFor()
    expect((await api('GET', '/api/load-balancer/route-overrides')).body).toEqual({})
  })

  it('load balancer: retries, retry budget and a health check set on the page reach the edge; the probe verdict is shown', async () => {
    await nav('Load balancer')
    const route = row('images')
    await page.getByLabel('Retries').fill('1')
    await page.getByLabel('Retry budget (% of requests)').fill('10')
    await page.getByLabel('Probe every upstream').check()
    await page.getByLabel('Path').fill('/healthz')
    await page.getByLabel('Interval (ms)').fill('300')
    await page.getByLabel('Timeout (ms)').fill('300')
    await page.getByRole('button', { name: 'Save settings' }).click()
    // A timeout as long as the interval is refused, under its field, and nothing changes.
    await page.getByText('timeout_ms must be shorter than interval_ms').waitFor()
    expect(await page.getByLabel('Timeout (ms)').getAttribute('aria-invalid')).toBe('true')
    expect((await api('GET', '/api/load-balancer/settings')).body).toMatchObject({
      retries: 2,
      health_check: null,
    })

    await page.getByLabel('Timeout (ms)').fill('200')
    await page.getByLabel('Function header').fill('X-Fn')
    await page.getByLabel(/^Partial placement/).uncheck()
    await page.getByLabel('Locality').selectOption('off')
    await page.getByLabel('Healthy after (passes in a row)').fill('1')
    await page.getByLabel('Unhealthy after (failures in a row)').fill('1')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Saved.').waitFor()
    expect((await api('GET', '/api/snapshot')).body.settings).toEqual({
      retries: 1,
      retry_budget: 0.1,
      hash_balance_factor: 0,
      health_check: {
        path: '/healthz',
        interval_ms: 300,
        timeout_ms: 200,
        healthy_threshold: 1,
        unhealthy_threshold: 1,
      },
      allow_partial: false,
      locality: 'off',
    })
    expect((await api('GET', '/api/snapshot')).body.function_header).toBe('X-Fn')
    await route.getByText('probe passes').waitFor()

    // The function server starts failing its health check: the page says so within seconds.
    fn.setHealthy(false)
    await route.getByText('probe fails').waitFor({ timeout: 10_000 })
    await route.getByText('unhealthy').waitFor()
    await screenshot(page, 'load-balancer-health-check')
    fn.setHealthy(true)
    await route.getByText('probe passes').waitFor({ timeout: 10_000 })

    // Turned off again: the verdict goes away with it.
    await page.getByLabel('Probe every upstream').uncheck()
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Saved.').waitFor()
    await route.getByText('probe passes').waitFor({ state: 'detached', timeout: 10_000 })
    expect((await api('GET', '/api/load-balancer/settings')).body.health_check).toBeNull()
  })

  it('publish hooks: a webhook added on the page receives the snapshot, and shows delivered', async () => {
    const received: { version: string | undefined; body: string }[] = []
    const receiver = http.createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        received.push({ version: req.headers['x-fado-snapshot-version'] as string, body })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/snapshots`
    try {
      await nav('Load balancer')
      await page.getByText('No publish hooks: edges pull snapshots.').waitFor()
      await page.getByRole('button', { name: 'Add hook' }).click()
      const d = dialog('Add publish hook')
      await d.getByLabel('URL').fill(url)
      await d.getByLabel('Secret').fill('too-short')
      await d.getByRole('button', { name: 'Add hook' }).click()
      await d.locator('.field-error').waitFor()
      expect(await d.getByLabel('Secret').getAttribute('aria-invalid')).toBe('true')
      expect((await api('GET', '/api/hooks')).body).toEqual([])
      await d.getByLabel('Secret').fill('a-long-enough-hook-secret')
      await d.getByRole('button', { name: 'Add hook' }).click()
      await d.waitFor({ state: 'detached' })
      const version = (await api('GET', '/api/load-balancer')).body.snapshot_version
      const line = row(url)
      await line.getByText('delivered', { exact: true }).waitFor({ timeout: 10_000 })
      await line.getByText(`v${version}`).waitFor()
      expect(received.at(-1)?.version).toBe(String(version))
      expect(await page.content()).not.toContain('a-long-enough-hook-secret')
      await screenshot(page, 'load-balancer-hooks')
      await confirm(
        `Delete hook ${(await api('GET', '/api/hooks')).body[0].hook_id}`,
        'Delete publish hook?',
        'Delete hook',
      )
      await page.getByText('No publish hooks: edges pull snapshots.').waitFor()
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()))
    }
  })

  it('traffic: charts per bucket and cluster show the invocations sent, with latency, backlog and lag', async () => {
    const before = (await api('GET', '/api/traffic')).body
    const sent = (name: string, of: 'buckets' | 'clusters') =>
      ((before?.[of]?.[name]?.invocations as number[] | undefined) ?? []).reduce((a, b) => a + b, 0)
    const [bucketBefore, clusterBefore] = [sent('images', 'buckets'), sent('cloud', 'clusters')]
    const N = 30
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${edgeUrl}/function/nodeinfo`, {
        headers: { 'X-FaDO-Bucket': 'images' },
      })
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
    await nav('Traffic')
    const bucket = page.getByRole('region', { name: 'bucket images' })
    const cluster = page.getByRole('region', { name: 'cluster cloud' })
    // The edge reports every second and the page refreshes every 5: the figures arrive by themselves.
    await bucket
      .getByText(`${bucketBefore + N} invocations in 15 min`, { exact: false })
      .waitFor({ timeout: 20_000 })
    await cluster
      .getByText(`${clusterBefore + N} invocations in 15 min`, { exact: false })
      .waitFor({ timeout: 20_000 })
    // The line is drawn: the invocations/s path has points above the baseline.
    const d = await bucket.locator('path[data-series="invocations/s"]').getAttribute('d')
    expect(d).toMatch(/^M/)
    const ys = [...(d ?? '').matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]))
    expect(Math.min(...ys)).toBeLessThan(Math.max(...ys))
    expect(await bucket.getByText(/p99 up to [\d.]+ ms, p50 up to [\d.]+ ms/).count()).toBe(1)
    // Its object was replicated to minio-cloud earlier in this run: lag and backlog are charted.
    await bucket.getByText(/up to [\d.]+ s from change to replica/).waitFor()
    await bucket.getByText(/up to \d+ objects? pending, now 0/).waitFor()
    await screenshot(page, 'traffic')
  })

  it('the dashboard summarises replication and what the edge serves', async () => {
    await nav('Dashboard')
    await page.getByText('1 synced').waitFor()
    const body = await text()
    expect(body).toMatch(/Clusters 2/)
    expect(body).toMatch(/Buckets 1 1 replica/)
    expect(body).toContain('1 of 1 healthy')
    expect(body).toContain('images on minio-hpc · replicas in sync 1/1')
    await screenshot(page, 'dashboard')
  })

  it('shows changes made elsewhere within seconds, without a reload', async () => {
    await nav('Clusters')
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true))
    const created = await api('POST', '/api/clusters', { name: 'edge-site', zones: ['paris'] })
    expect(created.status).toBe(201)
    await row('edge-site').getByText('paris').waitFor({ timeout: 5_000 })
    await api('DELETE', `/api/clusters/${created.body.cluster_id}`)
    await row('edge-site').waitFor({ state: 'detached', timeout: 5_000 })
    expect(
      await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere),
    ).toBe(true)
  })

  it('tokens: creates an edge token shown once, which reads snapshots only, then revokes it', async () => {
    await nav('Tokens')
    // The tokens FaDO made for the MinIO webhooks it configured are listed (and revocable).
    await page
      .getByText(/^storage-\d+-webhook$/)
      .first()
      .waitFor()
    const listed = async () => page.getByRole('row').count()
    const before = await listed()
    await page.getByRole('button', { name: 'Create token' }).click()
    const create = dialog('Create token')
    await create.getByLabel('Name').fill('bad name')
    await create.getByRole('button', { name: 'Create token' }).click()
    await create.locator('.field-error').filter({ hasText: 'must be 1 to 63 letters' }).waitFor()
    await create.getByLabel('Name').fill('edge-frankfurt')
    await create.getByLabel('Scope').selectOption('edge')
    await create.getByRole('button', { name: 'Create token' }).click()
    await create.waitFor({ state: 'detached' })
    const secret = await page.getByLabel('Secret').inputValue()
    expect(secret).toMatch(/^fado_edge_/)
    await screenshot(page, 'tokens-created')
    // It does its job and nothing else.
    const edgeCall = async (path: string) =>
      (await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${secret}` } })).status
    expect(await edgeCall('/api/snapshot')).toBe(200)
    expect(await edgeCall('/api/resources')).toBe(403)
    // Shown once: after Done, and in the list, the secret is nowhere on the page.
    await page.getByRole('button', { name: 'Done' }).click()
    await row('edge-frankfurt').getByText('edge', { exact: true }).waitFor()
    expect(await page.content()).not.toContain(secret)
    await confirm('Revoke edge-frankfurt', 'Revoke token edge-frankfurt?', 'Revoke token')
    await row('edge-frankfurt').waitFor({ state: 'detached' })
    expect(await listed()).toBe(before)
    expect(await edgeCall('/api/snapshot')).toBe(401)
    // A notify token is made for one storage deployment, which the dialog asks for.
    await page.getByRole('button', { name: 'Create token' }).click()
    const notify = dialog('Create token')
    await notify.getByLabel('Name').fill('minio-hooks')
    await notify.getByLabel('Scope').selectOption('notify')
    await notify.getByRole('button', { name: 'Create token' }).click()
    await notify.locator('.field-error').filter({ hasText: 'tied to one storage' }).waitFor()
    await notify.getByLabel('Storage deployment').fill('minio-later')
    await notify.getByRole('button', { name: 'Create token' }).click()
    await notify.waitFor({ state: 'detached' })
    await page.getByRole('button', { name: 'Done' }).click()
    await row('minio-hooks').getByText('for minio-later').waitFor()
    // An agent token is made for one cluster; the agent that uses it shows on the Clusters page.
    const cluster = (await resources()).clusters[0] as { cluster_id: number; name: string }
    await page.getByRole('button', { name: 'Create token' }).click()
    const agentDialog = dialog('Create token')
    await agentDialog.getByLabel('Name').fill('agent-one')
    await agentDialog.getByLabel('Scope').selectOption('agent')
    await agentDialog.getByLabel('Cluster').selectOption(String(cluster.cluster_id))
    await agentDialog.getByRole('button', { name: 'Create token' }).click()
    await agentDialog.waitFor({ state: 'detached' })
    const agentSecret = await page.getByLabel('Secret').inputValue()
    expect(agentSecret).toMatch(/^fado_agent_/)
    await page.getByRole('button', { name: 'Done' }).click()
    await row('agent-one').getByText(`for cluster ${cluster.name}`).waitFor()
    await screenshot(page, 'tokens')
    const claim = await fetch(`${apiUrl}/api/agent/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        agent_id: 'agent-ui-test-1',
        cluster: cluster.name,
        version: '0.1.0',
      }),
    })
    expect(claim.status).toBe(200)
    await nav('Clusters')
    await row('agent-ui-test-1').getByText('live').waitFor()
    await row('agent-ui-test-1').getByText(cluster.name, { exact: true }).waitFor()
    await screenshot(page, 'clusters-agents')
  })

  it('fits a narrow window: every page without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    for (const [label, shot] of [
      ['Dashboard', 'dashboard'],
      ['Clusters', 'clusters'],
      ['FaaS deployments', 'faas'],
      ['Functions', 'functions'],
      ['Storage', 'storage'],
      ['Buckets', 'buckets'],
      ['Objects', 'objects'],
      ['Load balancer', 'load-balancer'],
      ['Traffic', 'traffic'],
      ['Tokens', 'tokens'],
    ] as const) {
      await nav(label)
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      ).toBe(true)
      await screenshot(page, `narrow-${shot}`)
    }
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it('deletes everything again, each after a confirmation', async () => {
    await nav('Objects')
    // Cancelling a confirmation changes nothing.
    await page.getByRole('button', { name: 'Delete photo.bin' }).click()
    await dialog('Delete photo.bin?').getByRole('button', { name: 'Cancel' }).click()
    expect((await api('GET', '/api/objects?bucket=images')).body.objects).toHaveLength(1)
    await confirm('Delete photo.bin', 'Delete photo.bin?', 'Delete object')
    await page.getByText('images is empty.').waitFor()

    await nav('Buckets')
    await confirm('Delete images', 'Delete bucket images?', 'Delete bucket and data')
    await page.getByText('No buckets yet.').waitFor()

    await nav('Storage')
    await confirm('Untrack minio-hpc', 'Untrack minio-hpc?', 'Untrack')
    await confirm('Untrack minio-cloud', 'Untrack minio-cloud?', 'Untrack')
    await page.getByText('No storage deployments tracked yet.').waitFor()

    await nav('Functions')
    await confirm('Delete resize', 'Delete function resize?', 'Delete function')
    await page.getByText('No functions yet.').waitFor()

    await nav('FaaS deployments')
    await confirm(`Delete ${fn.url}`, 'Delete FaaS deployment?', 'Delete deployment')
    await page.getByText('No FaaS deployments yet.').waitFor()

    await nav('Clusters')
    await confirm('Delete hpc', 'Delete cluster hpc?', 'Delete cluster')
    await confirm('Delete cloud', 'Delete cluster cloud?', 'Delete cluster')
    await page.getByText('No clusters yet').waitFor()

    const left = await resources()
    for (const key of [
      'clusters',
      'faas_deployments',
      'functions',
      'storage_deployments',
      'buckets',
    ])
      expect(left[key], key).toEqual([])
    // The bucket is gone from both MinIO servers too.
    expect(await minios[0]!.storage().bucketExists('images')).toBe(false)
    expect(await minios[1]!.storage().bucketExists('images')).toBe(false)
  })

  it('a token that stops being accepted returns the tab to sign-in', async () => {
    await page.evaluate(() => sessionStorage.setItem('fado.token', 'revoked-token'))
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in to FaDO' }).waitFor()
    await page.getByText('The admin token was not accepted. Sign in again.').waitFor()
  })

  it('no page logged an error to the console', () => {
    expect(errors).toEqual([])
  })
})
