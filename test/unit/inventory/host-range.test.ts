import {describe, expect, it} from 'vitest'

import {expandHostRange} from '../../../src/inventory/index.js'
import {thrown} from './fixture.js'

describe('expandHostRange', () => {
  it('keeps the width of a zero-padded begin', () => {
    expect(expandHostRange('web[01:03].example.com')).toEqual([
      'web01.example.com',
      'web02.example.com',
      'web03.example.com',
    ])
    expect(expandHostRange('www[008:011]')).toEqual(['www008', 'www009', 'www010', 'www011'])
  })

  it('does not pad when the begin has no leading zero', () => {
    expect(expandHostRange('db-[9:11]-node')).toEqual(['db-9-node', 'db-10-node', 'db-11-node'])
  })

  it('expands letters, including across the lower/upper case boundary like Ansible', () => {
    expect(expandHostRange('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c'])
    expect(expandHostRange('x[y:B]')).toEqual(['xy', 'xz', 'xA', 'xB'])
  })

  it('honours a stride for numbers and letters', () => {
    expect(expandHostRange('node[0:10:2]')).toEqual(['node0', 'node2', 'node4', 'node6', 'node8', 'node10'])
    expect(expandHostRange('web[01:10:3]')).toEqual(['web01', 'web04', 'web07', 'web10'])
    expect(expandHostRange('r[a:e:2]')).toEqual(['ra', 'rc', 're'])
  })

  it('treats an empty begin as 0', () => {
    expect(expandHostRange('mail[:2].example.com')).toEqual([
      'mail0.example.com',
      'mail1.example.com',
      'mail2.example.com',
    ])
  })

  it('expands several ranges in one name, the first one outermost', () => {
    expect(expandHostRange('rack[1:2]-node[a:b]')).toEqual(['rack1-nodea', 'rack1-nodeb', 'rack2-nodea', 'rack2-nodeb'])
  })

  it('expands an IPv4 range', () => {
    expect(expandHostRange('10.0.0.[1:3]')).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3'])
  })

  it('returns a name without brackets unchanged', () => {
    expect(expandHostRange('plain.example.com')).toEqual(['plain.example.com'])
  })

  it('refuses a range that would expand to an absurd number of hosts', () => {
    expect(thrown(() => expandHostRange('h[0:99999999]')).message).toMatch(/more than 100000 hosts/)
    expect(thrown(() => expandHostRange('h[0:999]-[0:999]')).message).toMatch(/more than 100000 hosts/)
  })

  it('points at the IPv6 port syntax when a bracketed address has no port', () => {
    const error = thrown(() => expandHostRange('[2001:db8::1]'))
    expect(error.message).toMatch(/malformed host range/)
    expect(error.hint).toMatch(/\[address\]:port/)
  })
})
