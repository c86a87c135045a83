import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {FPM_POOL_FILE} from './host-files.js'
import {setPoolDirectiveText} from './pool-directive.js'

// Debian's own pool file, as installed by php8.2-fpm (a precondition of the lab).
const debianPool = readFileSync(FPM_POOL_FILE, 'utf8')

function changedLines(before: string, after: string): Array<[string | undefined, string | undefined]> {
  const a = before.split('\n')
  const b = after.split('\n')
  const changes: Array<[string | undefined, string | undefined]> = []
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    if (a[index] !== b[index]) changes.push([a[index], b[index]])
  }
  return changes
}

describe('setPoolDirectiveText', () => {
  it('rewrites the active assignment in place and touches nothing else', () => {
    const edited = setPoolDirectiveText(debianPool, 'www', 'pm.max_children', '12')
    expect(changedLines(debianPool, edited)).toEqual([['pm.max_children = 5', 'pm.max_children = 12']])
  })

  it('adds a key that is only commented out after the last line of the section, keeping the comment', () => {
    const commented = debianPool.split('\n').filter((line) => line.startsWith(';pm.status_path'))
    expect(commented).toHaveLength(1)
    const edited = setPoolDirectiveText(debianPool, 'www', 'pm.status_path', '/status')
    const lines = edited.split('\n')
    expect(lines.filter((line) => line.startsWith(';pm.status_path'))).toEqual(commented)
    expect(lines.filter((line) => line === 'pm.status_path = /status')).toHaveLength(1)
    expect(lines.indexOf('pm.status_path = /status')).toBeGreaterThan(lines.indexOf(commented[0]!))
    expect(edited.split('\n')).toHaveLength(debianPool.split('\n').length + 1)
  })

  it('edits only the named section', () => {
    const pools = ['[www]', 'listen = /run/php/www.sock', '', '[api]', 'listen = /run/php/api.sock', ''].join('\n')
    const edited = setPoolDirectiveText(pools, 'api', 'listen', '127.0.0.1:9001')
    expect(edited).toBe(['[www]', 'listen = /run/php/www.sock', '', '[api]', 'listen = 127.0.0.1:9001', ''].join('\n'))
    const added = setPoolDirectiveText(pools, 'www', 'pm', 'static')
    expect(added).toBe(
      ['[www]', 'listen = /run/php/www.sock', 'pm = static', '', '[api]', 'listen = /run/php/api.sock', ''].join('\n'),
    )
  })

  it('refuses a missing section and multi-line values', () => {
    expect(() => setPoolDirectiveText(debianPool, 'nope', 'pm', 'static')).toThrow('pool file has no [nope] section')
    expect(() => setPoolDirectiveText(debianPool, 'www', 'pm', 'static\n[evil]')).toThrow(/single-line/)
  })
})
