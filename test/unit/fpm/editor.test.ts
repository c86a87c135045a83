import {describe, expect, it} from 'vitest'

import {isFpmfixError} from '../../../src/errors.js'
import {
  commentOutDirective,
  editTarget,
  effectivePool,
  parseFpmFiles,
  setPoolDirective,
  validatePm,
  type FpmFile,
  type SetDirectiveRequest,
} from '../../../src/fpm/index.js'
import {fileContent, fixtureTree, withFile} from './fixture-tree.js'

const DEBIAN_MAIN = '/etc/php/8.2/fpm/php-fpm.conf'
const DEBIAN_WWW = '/etc/php/8.2/fpm/pool.d/www.conf'
const DOCKER_MAIN = '/usr/local/etc/php-fpm.conf'
const ZZ_DOCKER = '/usr/local/etc/php-fpm.d/zz-docker.conf'

/** The 1-based line numbers that differ between two texts of the same line count. */
function changedLines(before: string, after: string): number[] {
  const a = before.split('\n')
  const b = after.split('\n')
  expect(b).toHaveLength(a.length)
  return a.flatMap((line, index) => (line === b[index] ? [] : [index + 1]))
}

/** The 1-based line added to `before`; fails unless removing it gives `before` back byte for byte. */
function insertedLine(before: string, after: string): number {
  const a = before.split('\n')
  const b = after.split('\n')
  expect(b).toHaveLength(a.length + 1)
  const index = b.findIndex((line, i) => line !== a[i])
  expect([...b.slice(0, index), ...b.slice(index + 1)].join('\n')).toBe(before)
  return index + 1
}

function lineText(text: string, line: number): string {
  return text.split('\n')[line - 1]!
}

/** Edit where editTarget says, write it back into the tree, re-parse. */
function editPool(files: FpmFile[], main: string, pool: string, key: string, value: string) {
  const target = editTarget(parseFpmFiles(files, main), pool, key)
  const before = fileContent(files, target.file)
  const request: SetDirectiveRequest = {
    poolSection: target.poolSection,
    key,
    value,
    ...(target.line ? {line: target.line} : {}),
  }
  const after = setPoolDirective(before, request)
  const edited = withFile(files, target.file, after)
  return {target, before, after, source: parseFpmFiles(edited, main)}
}

function expectCode(action: () => unknown, code: string): void {
  let error: unknown
  try {
    action()
  } catch (caught) {
    error = caught
  }
  expect(isFpmfixError(error) && error.code).toBe(code)
}

describe('setPoolDirective round trips', () => {
  it('changes an existing Debian value in place', () => {
    const files = fixtureTree('debian-php82', 'etc')
    const {target, before, after, source} = editPool(files, DEBIAN_MAIN, 'www', 'pm.max_children', '12')
    expect(changedLines(before, after)).toEqual([target.line])
    expect(lineText(after, target.line!)).toBe('pm.max_children = 12')
    expect(effectivePool(source, undefined, 'www').maxChildren).toEqual({
      value: 12,
      source: {file: DEBIAN_WWW, line: target.line},
    })
  })

  it('sets a directive the stock www.conf only shows commented, right after the sample', () => {
    const files = fixtureTree('debian-php82', 'etc')
    const {before, after, source} = editPool(files, DEBIAN_MAIN, 'www', 'listen.mode', '0666')
    const line = insertedLine(before, after)
    expect(lineText(after, line - 1)).toBe(';listen.mode = 0660')
    expect(lineText(after, line)).toBe('listen.mode = 0666')
    expect(effectivePool(source, undefined, 'www').listenMode).toEqual({value: 0o666, source: {file: DEBIAN_WWW, line}})
  })

  it('adds a global directive inside [global], never after the include line', () => {
    const files = fixtureTree('debian-php82', 'etc')
    const {target, before, after, source} = editPool(files, DEBIAN_MAIN, 'global', 'process_control_timeout', '10s')
    expect(target).toEqual({file: DEBIAN_MAIN, poolSection: 'global'})
    const line = insertedLine(before, after)
    expect(lineText(after, line - 1)).toBe(';process_control_timeout = 0')
    const include = source.includes[0]!.line
    expect(line).toBeLessThan(include)
    expect(source.directives.find((item) => item.key === 'process_control_timeout')).toMatchObject({
      section: 'global',
      line,
    })
    expect(source.issues).toEqual([])
  })

  it('adds a new Docker pool key to zz-docker.conf, where it wins', () => {
    const files = fixtureTree('docker-php-fpm', 'usr')
    const {target, before, after, source} = editPool(files, DOCKER_MAIN, 'www', 'request_terminate_timeout', '60s')
    expect(target.file).toBe(ZZ_DOCKER)
    const line = insertedLine(before, after)
    expect(lineText(after, line - 1)).toBe('listen = 9000')
    expect(effectivePool(source, undefined, 'www').requestTerminateTimeout).toEqual({
      value: 60,
      source: {file: ZZ_DOCKER, line},
    })
  })

  it('inserts into a section that another section follows, before the blank line and the next header', () => {
    const files = fixtureTree('docker-php-fpm', 'usr')
    const before = fileContent(files, ZZ_DOCKER)
    const after = setPoolDirective(before, {poolSection: 'global', key: 'log_level', value: 'warning'})
    const line = insertedLine(before, after)
    expect(after.split('\n').slice(line - 2, line + 2)).toEqual(['daemonize = no', 'log_level = warning', '', '[www]'])
    const source = parseFpmFiles(withFile(files, ZZ_DOCKER, after), DOCKER_MAIN)
    expect(source.directives.find((item) => item.key === 'log_level')).toMatchObject({
      section: 'global',
      file: ZZ_DOCKER,
      line,
    })
    expect(effectivePool(source, undefined, 'www').listen.value).toEqual({kind: 'tcp', port: 9000})
  })

  it('keeps an inline comment and the spacing around it', () => {
    const files = fixtureTree('debian-multi-php', 'etc')
    const {target, before, after, source} = editPool(files, DEBIAN_MAIN, 'shop', 'pm.process_idle_timeout', '1m')
    expect(changedLines(before, after)).toEqual([target.line])
    expect(lineText(after, target.line!)).toBe(
      'pm.process_idle_timeout = 1m ; keep idle workers a little longer than the default',
    )
    expect(effectivePool(source, undefined, 'shop').processIdleTimeout.value).toBe(60)
  })

  it('quotes a value with ; and quotes so it reads back exactly', () => {
    const files = fixtureTree('debian-multi-php', 'etc')
    const format = '%R - %u %t "%m %r%Q%q" %s ; %{mili}d ms %{kilo}M'
    const {target, after, source} = editPool(files, DEBIAN_MAIN, 'shop', 'access.format', format)
    expect(lineText(after, target.line!)).toBe('access.format = "%R - %u %t \\"%m %r%Q%q\\" %s ; %{mili}d ms %{kilo}M"')
    expect(effectivePool(source, undefined, 'shop').settings['access.format']!.value).toBe(format)
  })

  it('keeps the key=value style and fills empty values', () => {
    const files = fixtureTree('fpm-invalid', 'etc')
    const path = '/etc/php/8.2/fpm/syntax-checks/quoting.conf'
    let text = fileContent(files, path)
    const original = text
    text = setPoolDirective(text, {poolSection: 'www', key: 'php_value[no_spaces]', value: 'other'})
    text = setPoolDirective(text, {poolSection: 'www', key: 'php_value[empty]', value: 'x'})
    text = setPoolDirective(text, {poolSection: 'www', key: 'php_value[empty_comment]', value: 'y'})
    const changed = changedLines(original, text)
    expect(changed.map((line) => lineText(text, line))).toEqual([
      'php_value[no_spaces]=other',
      'php_value[empty] = x',
      'php_value[empty_comment] = y ; nothing',
    ])
  })

  it('preserves CRLF line endings and every other byte', () => {
    const files = fixtureTree('debian-php82', 'etc').map((file) => ({
      ...file,
      content: file.content.replaceAll('\n', '\r\n'),
    }))
    const before = fileContent(files, DEBIAN_WWW)
    const changed = setPoolDirective(before, {poolSection: 'www', key: 'pm.max_children', value: '12'})
    const added = setPoolDirective(changed, {poolSection: 'www', key: 'listen.mode', value: '0666'})
    expect(added.split('\r\n')).toHaveLength(before.split('\r\n').length + 1)
    expect(added.replaceAll('\r\n', '')).not.toContain('\n')
    const line = insertedLine(changed.replaceAll('\r\n', '\n'), added.replaceAll('\r\n', '\n'))
    expect(changedLines(before.replaceAll('\r\n', '\n'), changed.replaceAll('\r\n', '\n'))).toHaveLength(1)
    const pool = effectivePool(parseFpmFiles(withFile(files, DEBIAN_WWW, added), DEBIAN_MAIN), undefined, 'www')
    expect(pool.maxChildren.value).toBe(12)
    expect(pool.listenMode).toEqual({value: 0o666, source: {file: DEBIAN_WWW, line}})
  })

  it('appends to a file without a final newline without adding one at the end', () => {
    const before = fileContent(fixtureTree('docker-php-fpm', 'usr'), ZZ_DOCKER).replace(/\n$/, '')
    const after = setPoolDirective(before, {poolSection: 'www', key: 'pm.max_children', value: '20'})
    expect(after).toBe(`${before}\npm.max_children = 20`)
  })

  it('edits the Alpine and RHEL pools and the refused pool of fpm-invalid', () => {
    const alpine = editPool(
      fixtureTree('alpine-php82', 'etc'),
      '/etc/php82/php-fpm.conf',
      'www',
      'listen',
      '/run/php-fpm82/www.sock',
    )
    expect(effectivePool(alpine.source, undefined, 'www').listen.value).toEqual({
      kind: 'unix',
      path: '/run/php-fpm82/www.sock',
    })
    const rhel = editPool(fixtureTree('rhel-remi', 'etc'), '/etc/php-fpm.conf', 'www', 'listen.owner', 'nginx')
    const line = insertedLine(rhel.before, rhel.after)
    expect(lineText(rhel.after, line - 1)).toBe(';listen.owner = nobody')
    expect(effectivePool(rhel.source, undefined, 'www').listenOwner.value).toBe('nginx')
    const fixed = editPool(fixtureTree('fpm-invalid', 'etc'), DEBIAN_MAIN, 'www', 'pm.max_children', '40')
    expect(validatePm(effectivePool(fixed.source, undefined, 'www'))).toBeUndefined()
  })
})

describe('commentOutDirective', () => {
  it('disables the Docker zz-docker.conf listen so www.conf wins again', () => {
    const files = fixtureTree('docker-php-fpm', 'usr')
    const target = editTarget(parseFpmFiles(files, DOCKER_MAIN), 'www', 'listen')
    const before = fileContent(files, ZZ_DOCKER)
    const after = commentOutDirective(before, target.line!)
    expect(changedLines(before, after)).toEqual([target.line])
    expect(lineText(after, target.line!)).toBe(';listen = 9000')
    const pool = effectivePool(parseFpmFiles(withFile(files, ZZ_DOCKER, after), DOCKER_MAIN), undefined, 'www')
    expect(pool.listen).toMatchObject({
      value: {kind: 'tcp', host: '127.0.0.1', port: 9000},
      source: {file: '/usr/local/etc/php-fpm.d/www.conf'},
    })
  })

  it('drops the RHEL ACL so listen.owner applies', () => {
    const files = fixtureTree('rhel-remi', 'etc')
    const target = editTarget(parseFpmFiles(files, '/etc/php-fpm.conf'), 'www', 'listen.acl_users')
    const after = commentOutDirective(fileContent(files, '/etc/php-fpm.d/www.conf'), target.line!)
    const pool = effectivePool(
      parseFpmFiles(withFile(files, '/etc/php-fpm.d/www.conf', after), '/etc/php-fpm.conf'),
      undefined,
      'www',
    )
    expect(pool.listenAclUsers).toEqual({value: [], source: 'default'})
  })
})

describe('editor errors', () => {
  const www = fileContent(fixtureTree('debian-php82', 'etc'), DEBIAN_WWW)

  it('refuses a line that no longer holds the key (stale plan)', () => {
    expectCode(
      () => setPoolDirective(www, {poolSection: 'www', key: 'pm.max_children', value: '9', line: 1}),
      'PLAN_STALE',
    )
    expectCode(
      () => setPoolDirective(www, {poolSection: 'www', key: 'pm.max_children', value: '9', line: 9999}),
      'PLAN_STALE',
    )
    expectCode(() => commentOutDirective(www, 1), 'PLAN_STALE')
  })

  it('refuses a section the file does not have', () => {
    expectCode(() => setPoolDirective(www, {poolSection: 'shop', key: 'listen', value: '9001'}), 'PLAN_STALE')
  })

  it('refuses keys and values php-fpm cannot read', () => {
    expectCode(() => setPoolDirective(www, {poolSection: 'www', key: 'listen mode', value: '0660'}), 'USAGE')
    expectCode(
      () => setPoolDirective(www, {poolSection: 'www', key: 'listen', value: '/run/a.sock\nuser = root'}),
      'USAGE',
    )
  })
})
