/**
 * Header-routed proxying, all in one run on this machine (issue 4's table):
 *  - throughput and p50/p99 with wrk -t1 -c50: direct to one upstream, FaDO's Node edge, Caddy,
 *    nginx and HAProxy, each routing X-FaDO-Bucket: bucket-0 round robin over the same three
 *    upstreams (three single-worker nginx processes answering a fixed body);
 *  - route scale for the FaDO edge: 1, 1k, 100k buckets — snapshot apply time, memory, and
 *    throughput for the last bucket.
 * Needs: apt-get install -y wrk caddy nginx-light haproxy. Writes bench/results/edge.json.
 *
 *   npm run bench:edge          (DURATION=10 seconds per wrk run)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort, waitFor } from '../test/helpers/ports.js'
import {
  nginxCommon,
  processes,
  requireTools,
  runWrk,
  startUpstream,
  toolVersion as version,
  waitHttp,
  type WrkResult,
} from './lib.js'

const DURATION = Number(process.env.DURATION ?? 10)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-bench-edge-'))
const { start, output, stop, children } = processes()
const wrk = (url: string, header: string, seconds = DURATION) => runWrk(url, header, seconds)

async function startFadoEdge(routes: number, upstreams: string[]) {
  const port = await freePort()
  const proc = start(
    process.execPath,
    ['--import', 'tsx', 'bench/edge-server.ts', String(port), String(routes), ...upstreams],
    `fado edge (${routes})`,
  )
  await waitFor('fado edge', async () => output(proc).includes('"ready":true'), 120_000)
  const info = JSON.parse(
    output(proc)
      .split('\n')
      .find((l) => l.includes('"ready"')) ?? '{}',
  )
  return { url: `http://127.0.0.1:${port}/`, proc, info }
}

async function startCaddy(upstreams: string[]) {
  const port = await freePort()
  const admin = await freePort()
  const file = path.join(dir, 'Caddyfile')
  fs.writeFileSync(
    file,
    `{
  admin 127.0.0.1:${admin}
  auto_https off
}
http://127.0.0.1:${port} {
  @bucket header X-FaDO-Bucket bucket-0
  handle @bucket {
    reverse_proxy ${upstreams.map((u) => u.replace('http://', '')).join(' ')} {
      lb_policy round_robin
    }
  }
  handle {
    respond 404
  }
}
`,
  )
  const proc = start('caddy', ['run', '--config', file, '--adapter', 'caddyfile'], 'caddy', {
    ...process.env,
    HOME: dir,
    XDG_DATA_HOME: dir,
    XDG_CONFIG_HOME: dir,
  })
  await waitHttp(`http://127.0.0.1:${port}/`, { 'X-FaDO-Bucket': 'bucket-0' }).catch(
    (err: Error) => {
      throw new Error(`${err.message}\ncaddy said: ${output(proc)}`)
    },
  )
  return { url: `http://127.0.0.1:${port}/`, proc }
}

async function startNginxProxy(upstreams: string[]) {
  const port = await freePort()
  const conf = path.join(dir, 'proxy.conf')
  fs.writeFileSync(
    conf,
    `${nginxCommon(dir, 'proxy')}
http {
  access_log off;
  upstream bucket_0 { ${upstreams.map((u) => `server ${u.replace('http://', '')};`).join(' ')} keepalive 64; }
  map $http_x_fado_bucket $backend { default ""; bucket-0 bucket_0; }
  server {
    listen 127.0.0.1:${port};
    location / {
      if ($backend = "") { return 404; }
      proxy_pass http://$backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  )
  const proc = start('nginx', ['-c', conf, '-e', `${dir}/proxy.err`], 'nginx proxy')
  await waitHttp(`http://127.0.0.1:${port}/`, { 'X-FaDO-Bucket': 'bucket-0' })
  return { url: `http://127.0.0.1:${port}/`, proc }
}

async function startHaproxy(upstreams: string[]) {
  const port = await freePort()
  const conf = path.join(dir, 'haproxy.cfg')
  fs.writeFileSync(
    conf,
    `global
  maxconn 4096
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:${port}
  acl bucket0 req.hdr(X-FaDO-Bucket) -m str bucket-0
  use_backend bucket_0 if bucket0
  default_backend none
backend bucket_0
  balance roundrobin
  http-reuse always
${upstreams.map((u, i) => `  server s${i} ${u.replace('http://', '')}`).join('\n')}
backend none
  http-request return status 404
`,
  )
  const proc = start('haproxy', ['-f', conf, '-db'], 'haproxy')
  await waitHttp(`http://127.0.0.1:${port}/`, { 'X-FaDO-Bucket': 'bucket-0' })
  return { url: `http://127.0.0.1:${port}/`, proc }
}

async function main() {
  await requireTools(['wrk', 'caddy', 'nginx', 'haproxy'])
  const ups = await Promise.all([1, 2, 3].map((i) => startUpstream(start, dir, i)))
  const upstreamUrls = ups.map((u) => u.url)
  const header = 'X-FaDO-Bucket: bucket-0'
  const results: Record<string, WrkResult> = {}
  try {
    results.direct = await wrk(`${upstreamUrls[0]}/`, header)
    console.error('direct', results.direct)
    for (const [name, starter] of [
      ['fado_edge', async () => startFadoEdge(1, upstreamUrls)],
      ['caddy', async () => startCaddy(upstreamUrls)],
      ['nginx', async () => startNginxProxy(upstreamUrls)],
      ['haproxy', async () => startHaproxy(upstreamUrls)],
    ] as const) {
      const proxy = await starter()
      await wrk(proxy.url, header, 2) // warm up
      results[name] = await wrk(proxy.url, header)
      console.error(name, results[name])
      await stop(proxy.proc)
    }

    // Route scale: throughput for the last bucket is a median of 3 runs per size, sizes
    // interleaved, since single runs on 2 shared cores vary by ±20%.
    const sizes = [1, 1000, 100_000]
    const edges: Awaited<ReturnType<typeof startFadoEdge>>[] = []
    for (const routes of sizes) edges.push(await startFadoEdge(routes, upstreamUrls))
    const samples = new Map<number, WrkResult[]>(sizes.map((r) => [r, []]))
    for (let round = 0; round < 3; round++) {
      for (const [i, routes] of sizes.entries()) {
        const last = `X-FaDO-Bucket: bucket-${routes - 1}`
        if (round === 0) await wrk(edges[i]!.url, last, 2)
        samples.get(routes)!.push(await wrk(edges[i]!.url, last))
      }
    }
    const medianBy = (xs: WrkResult[], key: 'rps' | 'p99_ms') =>
      [...xs].sort((a, b) => a[key] - b[key])[1]![key]
    const scale = sizes.map((routes, i) => ({
      routes,
      ...edges[i]!.info,
      rps: medianBy(samples.get(routes)!, 'rps'),
      p99_ms: medianBy(samples.get(routes)!, 'p99_ms'),
      errors: samples.get(routes)!.reduce((a, r) => a + r.errors, 0),
      runs_rps: samples.get(routes)!.map((r) => r.rps),
    }))
    for (const e of edges) await stop(e.proc)
    console.error('scale', scale)

    const result = {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      date: new Date().toISOString(),
      wrk: `wrk -t1 -c50 -d${DURATION}s, header-routed round robin over 3 local upstreams (nginx, 1 worker each)`,
      versions: {
        caddy: await version('caddy', ['version']),
        nginx: await version('nginx', ['-v']),
        haproxy: await version('haproxy', ['-v']),
      },
      throughput: results,
      ratios: {
        fado_vs_caddy: +((results.fado_edge?.rps ?? 0) / (results.caddy?.rps ?? 1)).toFixed(2),
        fado_vs_haproxy: +((results.fado_edge?.rps ?? 0) / (results.haproxy?.rps ?? 1)).toFixed(2),
        fado_vs_nginx: +((results.fado_edge?.rps ?? 0) / (results.nginx?.rps ?? 1)).toFixed(2),
      },
      scale,
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/edge.json', JSON.stringify(result, null, 2) + '\n')
    console.log(JSON.stringify(result, null, 2))
  } finally {
    for (const c of children) await stop(c)
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await main()
