/** The shell: sign-in when the tab has no token, else navigation + the page for the current path. */
import { useEffect, useMemo } from 'preact/hooks'
import { signOut, token } from './auth.js'
import { currentPath, Link, matchPath } from './router.js'
import { AppContext, createAppState, startPolling, useApp } from './state.js'
import { BucketsPage } from './pages/buckets.js'
import { ClustersPage } from './pages/clusters.js'
import { DashboardPage } from './pages/dashboard.js'
import { FaasPage } from './pages/faas.js'
import { FunctionsPage } from './pages/functions.js'
import { LoadBalancerPage } from './pages/load-balancer.js'
import { NotFoundPage } from './pages/not-found.js'
import { ObjectsPage } from './pages/objects.js'
import { SignInPage } from './pages/sign-in.js'
import { StoragePage } from './pages/storage.js'
import { TokensPage } from './pages/tokens.js'
import { TrafficPage } from './pages/traffic.js'

const NAV = [
  { href: '/', label: 'Dashboard' },
  { href: '/clusters', label: 'Clusters' },
  { href: '/faas', label: 'FaaS deployments' },
  { href: '/functions', label: 'Functions' },
  { href: '/storage', label: 'Storage' },
  { href: '/buckets', label: 'Buckets' },
  { href: '/objects', label: 'Objects' },
  { href: '/load-balancer', label: 'Load balancer' },
  { href: '/traffic', label: 'Traffic' },
  { href: '/tokens', label: 'Tokens' },
]

const ROUTES: [string, (params: Record<string, string>) => preact.JSX.Element][] = [
  ['/', () => <DashboardPage />],
  ['/clusters', () => <ClustersPage />],
  ['/faas', () => <FaasPage />],
  ['/functions', () => <FunctionsPage />],
  ['/storage', () => <StoragePage />],
  ['/buckets', () => <BucketsPage />],
  ['/objects', () => <ObjectsPage />],
  ['/objects/:bucket', (p) => <ObjectsPage bucket={p.bucket} />],
  ['/load-balancer', () => <LoadBalancerPage />],
  ['/traffic', () => <TrafficPage />],
  ['/tokens', () => <TokensPage />],
]

function route(path: string) {
  for (const [pattern, render] of ROUTES) {
    const params = matchPath(pattern, path)
    if (params) return render(params)
  }
  return <NotFoundPage />
}

export function App() {
  if (!token.value) return <SignInPage />
  return <SignedIn key={token.value} />
}

function SignedIn() {
  const state = useMemo(createAppState, [])
  useEffect(() => startPolling(state), [state])
  const path = currentPath.value
  const active = (href: string) =>
    href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`)
  return (
    <AppContext.Provider value={state}>
      <div class="shell">
        <nav class="sidebar" aria-label="Main">
          <Link href="/" class="brand">
            <span class="logo" aria-hidden="true">
              F
            </span>
            FaDO
          </Link>
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={active(item.href) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
          <LiveStatus />
          <button type="button" class="link sign-out" onClick={() => signOut()}>
            Sign out
          </button>
        </nav>
        <main>{state.resources.value ? route(path) : <Loading />}</main>
      </div>
    </AppContext.Provider>
  )
}

function LiveStatus() {
  const { connectionError, updatedAt } = useApp()
  if (connectionError.value)
    return (
      <p class="live bad" role="status">
        Control not answering — showing the last data. ({connectionError.value})
      </p>
    )
  return (
    <p class="live ok" role="status" title={updatedAt.value?.toLocaleTimeString()}>
      <span class="dot" aria-hidden="true" /> Live
    </p>
  )
}

function Loading() {
  const { connectionError } = useApp()
  return <p class="empty">{connectionError.value ?? 'Loading…'}</p>
}
