/** The little SVG the benchmark plots need: a frame with a title, a setup footer, round ticks. */
export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

/** Opening tags of a white chart with its title. */
export function frame(w: number, h: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="70" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ]
}

/** The setup line, wrapped at '; ' into lines of at most ~115 characters, from (x, y) down. */
export function footer(setup: string, x: number, y: number): string[] {
  const lines: string[] = []
  for (const part of setup.split('; ')) {
    const last = lines.length - 1
    if (last >= 0 && lines[last]!.length + part.length + 2 <= 115) lines[last] += `; ${part}`
    else lines.push(part)
  }
  return lines.map(
    (line, i) => `<text x="${x}" y="${y + i * 13}" font-size="10" fill="#666">${esc(line)}</text>`,
  )
}

/** A round step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  const raw = max / count
  const pow = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw
}
