import {describe, expect, it} from 'vitest'

import {
  interruptMessage,
  retestEnded,
  retestStarted,
  transactionEnded,
  transactionStarted,
} from '../../../src/cli/interrupt.js'

describe('what Ctrl-C says it leaves behind', () => {
  it('nothing started: no host was changed', () => {
    expect(interruptMessage()).toBe('Interrupted; no host was changed by this command.\n')
  })

  it('names hosts an earlier batch changed, the one still applying, and a retest cut short', () => {
    transactionStarted('web1', '20261129T120000Z-aaaaaaaa')
    transactionEnded('web1', true)
    transactionStarted('web2', '20261129T120001Z-bbbbbbbb')
    transactionEnded('web2', false)
    transactionStarted('web3', '20261129T120002Z-cccccccc')
    retestStarted('web1')
    const message = interruptMessage()
    expect(message).toContain('Already changed by this command: web1 (transaction 20261129T120000Z-aaaaaaaa).')
    expect(message).not.toContain('web2')
    expect(message).toContain('The --verify retest of web1 was cut short')
    expect(message).toContain('Still applying to web3 (transaction 20261129T120002Z-cccccccc).')
    expect(message).toContain('Hosts not started yet were not touched.')
    retestEnded('web1')
    transactionEnded('web3', false)
    transactionEnded('web1', false)
    expect(interruptMessage()).toBe('Interrupted; no host was changed by this command.\n')
  })
})
