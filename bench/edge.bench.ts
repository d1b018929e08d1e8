/**
 * Header-routed proxying, all in one run on this machine: `wrk -t1 -c50`, 10 s per run, three
 * interleaved rounds. Every proxy routes `X-FaDO-Bucket: bucket-a` round robin over three
 * upstreams — three ports of one single-worker nginx answering a 3-byte body — with keep-alive
 * to them and no access log. FaDO is set up as a user would (through the API: cluster, three
 * FaaS deployments, a bucket on a real MinIO), both as `fado standalone` and as a separate
 * `fado edge` pulling from it, each with as many edge workers as cores; the anchors get as many
 * workers/threads as cores too (nginx worker_processes 2, HAProxy nbthread 2, Caddy's default
 * GOMAXPROCS). Proxy CPU per request is the CPU time the proxy's processes used during the run
 * divided by the requests served.
 *
 *   npm run bench:edge      (needs wrk caddy nginx haproxy: apt-get install -y wrk caddy nginx haproxy)
 * Writes bench/results/edge.json and prints a Markdown table.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startMinio } from '../test/helpers/minio.js'
import { freePort, waitFor } from '../test/helpers/ports.js'
import { trackBody } from '../test/helpers/storage.js'
import { startFadoEdge, startStandalone } from './fado.js'
import {
  cpuSeconds,
  processCpuSeconds,
  processes,
  requireTools,
  runWrk,
  startUpstreamPorts,
  toolVersion as version,
  waitHttp,
  type WrkResult,
} from './lib.js'

const DURATION = Number(process.env.DURATION ?? 10)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
/**
 * BASELINE=<another checkout>/dist/fado.mjs adds that build as `fado_standalone_baseline`, set
 * up the same way, so a change is measured against the code before it in the same run;
 * TARGETS=a,b keeps only those targets (e.g. TARGETS=fado_standalone,fado_standalone_baseline).
 */
const BASELINE = process.env.BASELINE
const ONLY = process.env.TARGETS?.split(',')
const CORES = os.availableParallelism()
const TOKEN = 'bench-edge-admin-token-012345'
const HEADER = 'X-FaDO-Bucket: bucket-a'
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-bench-edge-'))
const { start, output, stop, children } = processes()

async function startCaddy(upstreams: string[]) {
  const port = await freePort()
  const file = path.join(dir, 'Caddyfile')
  fs.writeFileSync(
    file,
    `{
  admin 127.0.0.1:${await freePort()}
  auto_https off
}
http://127.0.0.1:${port} {
  @bucket header X-FaDO-Bucket bucket-a
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
  await waitHttp(`http://127.0.0.1:${port}/`, { 'X-FaDO-Bucket': 'bucket-a' })
  return { url: `http://127.0.0.1:${port}/`, pids: [proc.pid as number] }
}

async function startNginx(upstreams: string[]) {
  const port = await freePort()
  const conf = path.join(dir, 'proxy.conf')
  fs.writeFileSync(
    conf,
    `worker_processes ${CORES};
daemon off;
pid ${dir}/proxy.pid;
error_log ${dir}/proxy.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream bucket_a { ${upstreams.map((u) => `server ${u.replace('http://', '')};`).join(' ')} keepalive 64; }
  map $http_x_fado_bucket $backend { default ""; bucket-a bucket_a; }
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
  await waitHttp(`http://127.0.0.1:${port}/`, { 'X-FaDO-Bucket': 'bucket-a' })
  return { url: `http://127.0.0.1:${port}/`, pids: [proc.pid as number] }
}

async function startHaproxy(upstreams: string[]) {
  const port = await freePort()
  const conf = path.join(dir, 'haproxy.cfg')
  fs.writeFileSync(
    conf,
    `global
  maxconn 4096
  nbthread ${CORES}
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:${port}
  acl bucket_a req.hdr(X-FaDO-Bucket) -m str bucket-a
  use_backend bucket_a if bucket_a
  default_backend none
backend bucket_a
  balance roundrobin
  http-reuse always
${upstreams.map((u, i) => `  server s${i} ${u.replace('http://', '')}`).join('\n')}
backend none
  http-request return status 404
`,
  )
  const proc = start('haproxy', ['-f', conf, '-db'], 'haproxy')
  await waitHttp(`http://127.0.0.1:${port}/`, { 'X-FaDO-Bucket': 'bucket-a' })
  return { url: `http://127.0.0.1:${port}/`, pids: [proc.pid as number] }
}

interface Target {
  name: string
  url: string
  /** Processes whose CPU counts as the proxy's (with their descendants). */
  pids: number[]
  /** FaDO's primary process (standalone: control; edge: the snapshot puller), measured alone. */
  primary?: number
}

const fadoTarget = (name: string, url: string, pid: number | undefined): Target => ({
  name,
  url,
  pids: [pid as number],
  primary: pid as number,
})

async function main() {
  await requireTools(['wrk', 'caddy', 'nginx', 'haproxy'])
  const minio = await startMinio()
  const upstreams = await startUpstreamPorts(start, dir, 3)
  try {
    // FaDO, set up through its API as a user would.
    const setUp = async (bin?: string) => {
      const fado = await startStandalone(
        start,
        bin ? path.join(dir, 'baseline') : dir,
        TOKEN,
        ['--workers', String(CORES)],
        bin,
      )
      const cluster = (await fado.json('POST', '/api/clusters', { name: 'site' })).cluster_id
      // The baseline tracks the same MinIO and imports bucket-a from it (left alone otherwise).
      const storage = await fado.json('POST', '/api/storage-deployments', {
        ...trackBody(minio, bin ? 'm-baseline' : 'm', cluster),
        ...(bin ? { configure_webhook: false } : {}),
      })
      for (const url of upstreams)
        await fado.json('POST', '/api/faas-deployments', { cluster_id: cluster, url })
      if (!bin)
        await fado.json('POST', '/api/buckets', {
          name: 'bucket-a',
          storage_id: storage.storage_id,
        })
      return fado
    }
    const fado = await setUp()
    const edgeToken = (
      await fado.json('POST', '/api/tokens', { name: 'bench-edge', scope: 'edge' })
    ).token
    const edge = await startFadoEdge(start, dir, fado.apiUrl, edgeToken, [
      '--workers',
      String(CORES),
    ])
    const edgeUrl = `${edge.url}/`
    const baseline = BASELINE ? await setUp(BASELINE) : undefined
    for (const url of [`${fado.edgeUrl}/`, edgeUrl, ...(baseline ? [`${baseline.edgeUrl}/`] : [])])
      await waitFor(
        `${url} routing`,
        async () => (await fetch(url, { headers: { 'X-FaDO-Bucket': 'bucket-a' } })).ok,
        30_000,
      )
    const targets: Target[] = [
      { name: 'direct', url: `${upstreams[0]}/`, pids: [] },
      fadoTarget('fado_standalone', `${fado.edgeUrl}/`, fado.proc.pid),
      ...(baseline
        ? [fadoTarget('fado_standalone_baseline', `${baseline.edgeUrl}/`, baseline.proc.pid)]
        : []),
      fadoTarget('fado_edge', edgeUrl, edge.proc.pid),
      { name: 'caddy', ...(await startCaddy(upstreams)) },
      { name: 'nginx', ...(await startNginx(upstreams)) },
      { name: 'haproxy', ...(await startHaproxy(upstreams)) },
    ]
    if (ONLY) targets.splice(0, targets.length, ...targets.filter((t) => ONLY.includes(t.name)))
    // primary_cpu_us_per_request: what FaDO's primary costs the workers beside it.
    type Run = WrkResult & {
      cpu_us_per_request: number | null
      primary_cpu_us_per_request?: number
    }
    const rounds: Record<string, Run>[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const results: Record<string, Run> = {}
      // Every other round in reverse order: no target is always measured first (colder).
      for (const t of round % 2 ? [...targets].reverse() : targets) {
        await runWrk(t.url, HEADER, 2, 50) // warm up
        const before = cpuSeconds(t.pids)
        const primaryBefore = t.primary ? processCpuSeconds(t.primary) : 0
        const r = await runWrk(t.url, HEADER, DURATION, 50)
        const cpu = cpuSeconds(t.pids) - before
        const perRequest = (seconds: number) => +((seconds / r.requests) * 1e6).toFixed(1)
        results[t.name] = {
          ...r,
          cpu_us_per_request: t.pids.length ? perRequest(cpu) : null,
          ...(t.primary
            ? {
                primary_cpu_us_per_request: perRequest(
                  processCpuSeconds(t.primary) - primaryBefore,
                ),
              }
            : {}),
        }
        console.error(
          `round ${round + 1} ${t.name}: ${r.rps} req/s, p99 ${r.p99_ms} ms, errors ${r.errors}`,
        )
      }
      rounds.push(results)
    }
    const ratio = (a: string, b: string) =>
      rounds.flatMap((r) => (r[a] && r[b] ? [+(r[a].rps / r[b].rps).toFixed(2)] : []))
    const result = {
      machine: `${CORES} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, node ${process.version}`,
      date: new Date().toISOString(),
      wrk: `wrk -t1 -c50 -d${DURATION}s, ${ROUNDS} interleaved rounds, header-routed round robin over 3 upstreams (one nginx worker, 3-byte body)`,
      workers: CORES,
      versions: {
        caddy: await version('caddy', ['version']),
        nginx: await version('nginx', ['-v']),
        haproxy: await version('haproxy', ['-v']),
      },
      rounds,
      ratios_per_round: {
        fado_edge_vs_caddy: ratio('fado_edge', 'caddy'),
        fado_standalone_vs_caddy: ratio('fado_standalone', 'caddy'),
        fado_edge_vs_haproxy: ratio('fado_edge', 'haproxy'),
        fado_standalone_vs_haproxy: ratio('fado_standalone', 'haproxy'),
        ...(baseline
          ? { fado_standalone_vs_baseline: ratio('fado_standalone', 'fado_standalone_baseline') }
          : {}),
      },
      ...(BASELINE ? { baseline: BASELINE } : {}),
    }
    fs.mkdirSync('bench/results', { recursive: true })
    const file = BASELINE ? 'bench/results/edge-vs-baseline.json' : 'bench/results/edge.json'
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n')
    const median = (name: string, key: keyof Run) =>
      [...rounds.map((r) => Number(r[name]?.[key] ?? NaN))].sort((a, b) => a - b)[
        Math.floor(ROUNDS / 2)
      ]
    console.log('| target | req/s (median) | p50 | p99 | proxy CPU per request |')
    console.log('| --- | --- | --- | --- | --- |')
    for (const t of targets)
      console.log(
        `| ${t.name} | ${median(t.name, 'rps')} | ${median(t.name, 'p50_ms')} ms | ${median(t.name, 'p99_ms')} ms | ${t.pids.length ? `${median(t.name, 'cpu_us_per_request')} µs` : '–'} |`,
      )
    console.log(JSON.stringify(result.ratios_per_round))
  } finally {
    for (const c of children) await stop(c)
    await minio.destroy()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  void output
}

await main()
