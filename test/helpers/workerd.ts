/** The Workers build of the edge (dist/worker.js) in a real workerd, via miniflare, pulling from control. */
import { Miniflare } from 'miniflare'
import { createToken, type TestControl } from './control.js'

export async function startWorkerEdge(fado: TestControl): Promise<Miniflare> {
  return new Miniflare({
    modules: true,
    scriptPath: 'dist/worker.js',
    compatibilityDate: '2026-04-01',
    bindings: {
      FADO_CONTROL_URL: fado.running.apiUrl,
      FADO_CONTROL_TOKEN: await createToken(fado, 'edge'),
      FADO_SNAPSHOT_MAX_AGE_MS: '200',
    },
  })
}
