/**
 * Real Chromium (Debian's package) driven by playwright-core. A missing browser fails loudly with
 * the command that installs it. Screenshots go to test-artifacts/ui/ (not committed).
 */
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = process.env.FADO_CHROMIUM ?? '/usr/bin/chromium'
export const INSTALL_CHROMIUM = 'apt-get update && apt-get install -y chromium'
export const SCREENSHOTS = path.resolve('test-artifacts/ui')

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install it with: ${INSTALL_CHROMIUM}`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * Everything the page reports as an error: uncaught exceptions and console errors. The browser's
 * own "Failed to load resource" line for an API answer the test provoked on purpose (a 400, 401,
 * 502 from /api/…) is not the page's fault and is left out; any other one (a missing asset) counts.
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    const fromApi = new URL(msg.location().url || 'about:blank', 'http://x').pathname.startsWith(
      '/api/',
    )
    if (
      fromApi &&
      /^Failed to load resource: the server responded with a status of (400|401|409|502)/.test(
        msg.text(),
      )
    )
      return
    errors.push(`console: ${msg.text()} (${msg.location().url})`)
  })
  return errors
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  const file = path.join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}
