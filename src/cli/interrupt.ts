import {ExitCode} from '../exit-codes.js'

/** Hosts on which this process started an apply transaction, with its id once the host reported it. */
const running = new Map<string, string | undefined>()
/** Hosts this process already changed (a committed transaction), with the transaction id. */
const changed = new Map<string, string | undefined>()
/** Changed hosts whose `--verify` retest was running. */
const retesting = new Set<string>()

/** An apply transaction may be running on `host` from now on (with `txid`, once known). */
export function transactionStarted(host: string, txid?: string): void {
  running.set(host, txid ?? running.get(host))
}

/** The transaction on `host` ended; `committed` when it left the host changed. */
export function transactionEnded(host: string, committed = false): void {
  const txid = running.get(host)
  running.delete(host)
  if (committed) changed.set(host, txid)
  else changed.delete(host)
}

export function retestStarted(host: string): void {
  retesting.add(host)
}

export function retestEnded(host: string): void {
  retesting.delete(host)
}

function named(entries: Iterable<[string, string | undefined]>): string {
  return [...entries].map(([host, txid]) => (txid === undefined ? host : `${host} (transaction ${txid})`)).join(', ')
}

/**
 * What Ctrl-C leaves behind. Gathering only reads; an apply transaction runs detached on its
 * host (setsid, its own journal), so it commits or rolls back by itself whether or not this
 * client is there to see it. Hosts an earlier batch changed stay changed.
 */
export function interruptMessage(): string {
  if (running.size === 0 && changed.size === 0) return 'Interrupted; no host was changed by this command.\n'
  const lines: string[] = []
  if (changed.size > 0) {
    lines.push(`Interrupted. Already changed by this command: ${named(changed)}.`)
    const unverified = [...changed.keys()].filter((host) => retesting.has(host))
    if (unverified.length > 0) {
      lines.push(
        `The --verify retest of ${unverified.join(', ')} was cut short: its change stays, not retested and not undone; ` +
          'run `fpmfix verify` on it, or `fpmfix rollback`.',
      )
    }
  }
  if (running.size > 0) {
    lines.push(
      `${changed.size > 0 ? 'Still applying' : 'Interrupted while applying'} to ${named(running)}.`,
      'A transaction that had started keeps running on its host, detached from this client, and commits or rolls back on its own;',
      'nothing is left half-written. `fpmfix plan` on those hosts reports how each ended.',
    )
  }
  lines.push('Hosts not started yet were not touched.')
  return `${lines.join('\n')}\n`
}

let installed = false

/** Ctrl-C: say what happens to the hosts, and exit 130 (128 + SIGINT). */
export function exitOnInterrupt(): void {
  if (installed) return
  installed = true
  process.once('SIGINT', () => {
    // A spinner may have hidden the cursor.
    if (process.stderr.isTTY) process.stderr.write('\u001B[?25h\n')
    process.stderr.write(interruptMessage())
    process.exit(ExitCode.INTERRUPTED)
  })
}
