import {describe, expect, it} from 'vitest'

import {destinationsOf, listenerAccepts, normalizeHost} from '../../../src/facts/ip-address.js'
import {addressMatches} from '../../../src/facts/pairing.js'
import type {Address} from '../../../src/model/facts.js'

const tcp = (host: string | undefined, port = 9000, v6only?: boolean): Address => ({
  kind: 'tcp',
  ...(host === undefined ? {} : {host}),
  port,
  ...(v6only === undefined ? {} : {v6only}),
})

describe('pairing addresses the way the kernel accepts connections', () => {
  it('normalizes brackets, zones, case, IPv4-mapped and long IPv6 spellings', () => {
    expect(normalizeHost('[::1]')).toBe('::1')
    expect(normalizeHost('0:0:0:0:0:0:0:1')).toBe('::1')
    expect(normalizeHost('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(normalizeHost('[FE80::1%eth0]')).toBe('fe80::1')
    expect(normalizeHost('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1')
    expect(normalizeHost('php')).toBe('php')
  })

  it('IPv6 loopback is not IPv4 loopback, either way round', () => {
    expect(addressMatches(tcp('127.0.0.1'), tcp('::1'))).toBe(false)
    expect(addressMatches(tcp('::1'), tcp('127.0.0.1'))).toBe(false)
    expect(addressMatches(tcp('127.0.0.2'), tcp('127.0.0.1'))).toBe(false)
    expect(addressMatches(tcp('::1'), tcp('0:0:0:0:0:0:0:1'))).toBe(true)
  })

  it('localhost resolves to both loopbacks, and nginx tries each', () => {
    expect(destinationsOf('localhost')).toEqual(['127.0.0.1', '::1'])
    expect(addressMatches(tcp('localhost'), tcp('::1'))).toBe(true)
    expect(addressMatches(tcp('localhost'), tcp('127.0.0.1'))).toBe(true)
    expect(addressMatches(tcp('ip6-localhost'), tcp('127.0.0.1'))).toBe(false)
  })

  it('wildcards: 0.0.0.0 takes IPv4 only, [::] takes both unless v6only, no host (listen = PORT) takes both', () => {
    expect(addressMatches(tcp('127.0.0.1'), tcp('0.0.0.0'))).toBe(true)
    expect(addressMatches(tcp('::1'), tcp('0.0.0.0'))).toBe(false)
    expect(addressMatches(tcp('127.0.0.1'), tcp('::'))).toBe(true)
    expect(addressMatches(tcp('127.0.0.1'), tcp('::', 9000, true))).toBe(false)
    expect(addressMatches(tcp('::1'), tcp('::', 9000, true))).toBe(true)
    expect(addressMatches(tcp('::1'), tcp(undefined))).toBe(true)
    expect(addressMatches(tcp('php'), tcp(undefined))).toBe(true)
    expect(addressMatches(tcp('php'), tcp('127.0.0.1'))).toBe(false)
    expect(listenerAccepts({host: '*'}, '10.0.0.5')).toBe(true)
  })

  it('ports must agree', () => {
    expect(addressMatches(tcp('127.0.0.1', 9000), tcp('127.0.0.1', 9001))).toBe(false)
  })

  it('unix sockets pair by where they resolve, whatever spelling each side uses', () => {
    const spelled: Address = {kind: 'unix', path: '/var/run/php/php8.2-fpm.sock', canonical: '/run/php/php8.2-fpm.sock'}
    expect(addressMatches({kind: 'unix', path: '/run/php/php8.2-fpm.sock'}, spelled)).toBe(true)
    expect(addressMatches(spelled, {kind: 'unix', path: '/run/php/php8.1-fpm.sock'})).toBe(false)
  })
})
