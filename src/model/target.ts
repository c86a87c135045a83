/** One host to act on, resolved from the inventory, the command line or ssh config. */
export interface HostTarget {
  /** Inventory name or the name given on the command line; what reports call the host. */
  name: string
  /** 'local' means this machine with no SSH. */
  connection: 'local' | 'ssh'
  /** Address to connect to (ansible_host, or the name itself). */
  address: string
  port?: number
  user?: string
  privateKeyFile?: string
  become?: boolean
  /** Inventory variables as written (ansible_* and any others). */
  vars: Record<string, string>
}
