import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { tarArchive, tarEntry, tarSize } from './tar.js'

describe('tarArchive', () => {
  it('GNU tar reads back every name (UTF-8, longer than 100 bytes) and every byte', () => {
    const files = [
      { name: 'a.txt', data: Buffer.from('a') },
      { name: 'dir/ünïcödé 名前 (1).bin', data: Buffer.alloc(512, 7) },
      { name: `${'segment/'.repeat(20)}end`, data: Buffer.alloc(1000, 1) },
      { name: 'empty', data: Buffer.alloc(0) },
    ].map((f) => ({
      ...f,
      mtime: new Date('2026-01-02T03:04:05Z'),
      pax: { 'minio.metadata.Content-Type': 'text/plain' },
    }))
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-tar-'))
    try {
      const archive = tarArchive(files)
      expect(archive.length % 512).toBe(0)
      expect(archive.length).toBe(files.reduce((n, f) => n + tarSize(f), 1024))
      expect(Buffer.concat(tarEntry(files[0]!)).length).toBe(tarSize(files[0]!))
      fs.writeFileSync(path.join(dir, 'x.tar'), archive)
      const listed = execFileSync(
        'tar',
        ['--list', '--warning=no-unknown-keyword', '-f', 'x.tar'],
        {
          cwd: dir,
        },
      )
        .toString()
        .trim()
        .split('\n')
      expect(listed).toEqual(files.map((f) => f.name))
      execFileSync('tar', ['--warning=no-unknown-keyword', '-xf', 'x.tar'], { cwd: dir })
      for (const f of files) expect(fs.readFileSync(path.join(dir, f.name))).toEqual(f.data)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
