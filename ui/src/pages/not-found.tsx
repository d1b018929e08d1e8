import { PageHeader } from '../components/common.js'
import { Link } from '../router.js'

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" intro={`Nothing lives at ${location.pathname}.`} />
      <p>
        <Link href="/">Back to the dashboard</Link>
      </p>
    </>
  )
}
