import {describe, expect, it} from 'vitest'

import {dialHost, hostPort, listenAll, nginxAddress} from '../../../src/model/address.js'
import type {FastcgiSite} from '../../../src/model/facts.js'
import {probeUrlFor} from '../../../src/plan/verification.js'

describe('the listen-all rule', () => {
  it('knows which families a listener bound to every address takes', () => {
    expect([undefined, '', '*', '0.0.0.0', '::', '[::]', '127.0.0.1', '::1', 'php'].map(listenAll)).toEqual([
      'any',
      'any',
      'any',
      4,
      6,
      6,
      undefined,
      undefined,
      undefined,
    ])
  })

  it('dials a listen-all on loopback, IPv6 on ::1, and anything else where it listens', () => {
    expect([undefined, '*', '0.0.0.0', '::', '[::]', '10.0.0.5', '::1'].map(dialHost)).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
      '::1',
      '::1',
      '10.0.0.5',
      '::1',
    ])
  })

  it('spells a pool the way nginx names it: brackets around IPv6, the socket path as the pool writes it', () => {
    expect(nginxAddress({kind: 'tcp', port: 9000})).toBe('127.0.0.1:9000')
    expect(nginxAddress({kind: 'tcp', host: '::', port: 9000})).toBe('[::1]:9000')
    expect(nginxAddress({kind: 'tcp', host: 'fe80::1', port: 9001})).toBe('[fe80::1]:9001')
    expect(nginxAddress({kind: 'unix', path: '/var/run/php/www.sock', canonical: '/run/php/www.sock'})).toBe(
      'unix:/var/run/php/www.sock',
    )
    expect(hostPort('[::1]', 80)).toBe('[::1]:80')
  })

  it('probes a server through the address its listen says, by the same rule', () => {
    const url = (listens: string[][]) =>
      probeUrlFor({server: 'shop.example.com', serverListens: listens} as FastcgiSite)?.url
    expect(url([])).toBe('http://127.0.0.1:80/index.php')
    expect(url([['*:8080']])).toBe('http://127.0.0.1:8080/index.php')
    expect(url([['[::]:8080', 'ipv6only=on']])).toBe('http://[::1]:8080/index.php')
    expect(url([['[::1]:81']])).toBe('http://[::1]:81/index.php')
    expect(url([['443', 'ssl'], ['10.0.0.5:8081']])).toBe('http://10.0.0.5:8081/index.php')
    expect(url([['unix:/run/nginx.sock']])).toBeUndefined()
  })
})
