import {spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {expandPath, parseJumpSpec, parseProxyJump} from '../../../../src/transport/ssh/ssh-config-parse.js'
import {applySshConfig, mergeSshOptions, resolveSshConfig} from '../../../../src/transport/ssh/ssh-config.js'
import {fpmfixFailure, scratchDir} from './support/fixtures.js'

const hasSsh = spawnSync('ssh', ['-V']).error === undefined
let scratch: ReturnType<typeof scratchDir>

beforeEach(() => {
  scratch = scratchDir('fpmfix-ssh-config-')
})
afterEach(() => {
  scratch.cleanup()
  vi.unstubAllEnvs()
})

function writeConfig(text: string): string {
  const file = join(scratch.dir, 'config')
  writeFileSync(file, text)
  return file
}

describe('parseJumpSpec', () => {
  it('reads every ProxyJump hop form', () => {
    expect(parseProxyJump('bastion, admin@jump2:2200,[fe80::1]:2222,ssh://ops@edge.example.com:2022')).toEqual([
      {host: 'bastion'},
      {host: 'jump2', user: 'admin', port: 2200},
      {host: 'fe80::1', port: 2222},
      {host: 'edge.example.com', user: 'ops', port: 2022},
    ])
  })

  it('rejects hops it cannot parse with SSH_CONFIG', () => {
    for (const spec of ['@bastion', 'a:b:c', 'host:port']) {
      expect(() => parseJumpSpec(spec), spec).toThrowError(expect.objectContaining({code: 'SSH_CONFIG'}))
    }
  })
})

describe('expandPath', () => {
  it('expands ~ and the tokens identity files use, leaving unknown tokens alone', () => {
    const context = {alias: 'web1', home: '/home/ops', localUser: 'ops', localHost: 'laptop', env: {}}
    const tokens = {hostName: '10.0.0.5', user: 'deploy', port: '2222'}
    expect(expandPath('~/.ssh/id_%h_%r_%p', context, tokens)).toBe('/home/ops/.ssh/id_10.0.0.5_deploy_2222')
    expect(expandPath('%d/keys/%n-%u@%l %% %C', context, tokens)).toBe('/home/ops/keys/web1-ops@laptop % %C')
  })
})

describe.skipIf(!hasSsh)('resolveSshConfig (ssh -G)', () => {
  it('resolves HostName, User, Port, existing identity files, known_hosts, ConnectTimeout and IdentityAgent', async () => {
    const keys = join(scratch.dir, 'keys')
    mkdirSync(keys)
    writeFileSync(join(keys, 'id_10.0.0.5'), 'key')
    const configFile = writeConfig(
      [
        'Host web1',
        '  HostName 10.0.0.5',
        '  User deploy',
        '  Port 2222',
        `  IdentityFile ${keys}/id_%h`,
        `  IdentityFile ${keys}/missing_key`,
        `  UserKnownHostsFile ${scratch.dir}/kh_first ${scratch.dir}/kh_second`,
        '  ConnectTimeout 7',
        '  IdentityAgent none',
        '',
      ].join('\n'),
    )
    const resolved = await resolveSshConfig('web1', {configFile})
    expect(resolved).toMatchObject({
      host: '10.0.0.5',
      user: 'deploy',
      port: 2222,
      knownHostsFile: `${scratch.dir}/kh_first`,
      connectTimeoutMs: 7000,
      agent: '',
    })
    expect(resolved.identityFiles).toEqual([join(keys, 'id_10.0.0.5')])
    expect(resolved.proxyJump).toBeUndefined()
  })

  it('falls back to ssh defaults for an alias the config does not mention', async () => {
    const resolved = await resolveSshConfig('db1.example.com', {configFile: writeConfig('Host web1\n  Port 2222\n')})
    expect(resolved).toMatchObject({host: 'db1.example.com', port: 22})
  })

  it('resolves each ProxyJump hop through ssh config too, the hop spec winning', async () => {
    const configFile = writeConfig(
      [
        'Host web1',
        '  HostName 10.0.0.5',
        '  ProxyJump bastion,admin@jump2:2200',
        'Host bastion',
        '  HostName bastion.example.com',
        '  User jumper',
        '  ProxyJump outer',
        'Host jump2',
        '  HostName 192.168.1.2',
        '  User ignored',
        '  ProxyJump not-followed',
        'Host outer',
        '  HostName outer.example.com',
        '  Port 2022',
        '',
      ].join('\n'),
    )
    const resolved = await resolveSshConfig('web1', {configFile})
    expect(resolved.proxyJump).toMatchObject([
      {
        host: 'bastion.example.com',
        hostAlias: 'bastion',
        user: 'jumper',
        port: 22,
        proxyJump: [{host: 'outer.example.com', port: 2022}],
      },
      {host: '192.168.1.2', hostAlias: 'jump2', user: 'admin', port: 2200},
    ])
    expect(resolved.proxyJump?.[1]?.proxyJump).toBeUndefined()
  })

  it('refuses a circular ProxyJump with SSH_CONFIG', async () => {
    const configFile = writeConfig('Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n')
    const error = await fpmfixFailure(resolveSshConfig('a', {configFile}))
    expect(error.code).toBe('SSH_CONFIG')
    expect(error.message).toMatch(/circular/)
  })

  it('refuses ProxyCommand, which would be silently bypassed otherwise', async () => {
    const configFile = writeConfig('Host web1\n  ProxyCommand nc %h %p\n')
    const error = await fpmfixFailure(resolveSshConfig('web1', {configFile}))
    expect(error.code).toBe('SSH_CONFIG')
    expect(error.hint).toMatch(/ProxyJump/)
  })

  it('reports a broken config file with what ssh said', async () => {
    const error = await fpmfixFailure(resolveSshConfig('web1', {configFile: join(scratch.dir, 'absent')}))
    expect(error.code).toBe('SSH_CONFIG')
    expect(error.message).toContain('absent')
  })

  it('applySshConfig looks up hostAlias and keeps an explicit host and user', async () => {
    const configFile = writeConfig('Host web1\n  HostName 10.0.0.5\n  User deploy\n  Port 2222\n')
    expect(await applySshConfig({host: 'web1', user: 'ops'}, {configFile})).toMatchObject({
      host: '10.0.0.5',
      user: 'ops',
      port: 2222,
    })
    expect(await applySshConfig({host: '192.0.2.9', hostAlias: 'web1'}, {configFile})).toMatchObject({
      host: '192.0.2.9',
      hostAlias: 'web1',
      user: 'deploy',
      port: 2222,
    })
  })

  it('never passes an alias that ssh would read as an option', async () => {
    const error = await fpmfixFailure(resolveSshConfig('-oProxyCommand=touch /tmp/pwned'))
    expect(error.code).toBe('SSH_CONFIG')
  })
})

describe('resolveSshConfig without OpenSSH', () => {
  it('returns nothing, so the given options are used as they are', async () => {
    vi.stubEnv('PATH', scratch.dir)
    expect(await resolveSshConfig('web1')).toEqual({})
  })
})

describe('mergeSshOptions', () => {
  const fromConfig = {host: '10.0.0.5', user: 'deploy', port: 2222, identityFiles: ['/k'], connectTimeoutMs: 7000}

  it('fills only what the caller left unset', () => {
    const merged = mergeSshOptions({host: 'web1', user: 'ops', connectTimeoutMs: undefined}, fromConfig, true)
    expect(merged).toEqual({host: '10.0.0.5', user: 'ops', port: 2222, identityFiles: ['/k'], connectTimeoutMs: 7000})
  })

  it('keeps the given host when HostName must not apply', () => {
    expect(mergeSshOptions({host: '192.0.2.9'}, fromConfig, false).host).toBe('192.0.2.9')
  })
})
