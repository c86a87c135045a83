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
  /**
   * How a saved plan says this host is reached. When set, the host is reached exactly so
   * (no inventory or ssh config lookup) and must present the recorded host key.
   */
  recorded?: HostConnection
}

/** A server host key as fingerprinted by OpenSSH (`ssh-keygen -lf`): never the key itself. */
export interface HostKeyFingerprint {
  /** Key type as sent on the wire, e.g. `ssh-ed25519`. */
  type: string
  /** `SHA256:` + unpadded base64 of the key blob's SHA-256. */
  sha256: string
}

/** One SSH endpoint as it was dialled: the target host or a jump host. */
export interface SshHop {
  /** What messages call it (inventory name, ssh alias or the address). */
  name: string
  address: string
  port: number
  user: string
  /** The private key file that authenticated (absent when ssh-agent did). Never key material. */
  privateKeyFile?: string
  /** The known_hosts file the host key was checked against. */
  knownHostsFile?: string
  /** The key the host presented. */
  hostKey?: HostKeyFingerprint
}

/**
 * How a host was reached, recorded in a plan so that apply needs nothing else: where, as whom,
 * through which jump hosts, with which key file and known_hosts, and the host key it presented.
 * Holds paths only, never key material, passphrases or passwords.
 */
export interface HostConnection {
  connection: 'local' | 'ssh'
  /** Commands run as root through `sudo -n`. */
  become: boolean
  /** ssh: the target host as dialled (after ssh config). */
  ssh?: SshHop
  /** ssh: jump hosts, outermost first, as resolved. */
  jumpHosts?: SshHop[]
  /** local: this machine's host name when the plan was made. */
  machine?: string
}

/** `user@address:port` of an SSH hop. */
export function hopText(hop: Pick<SshHop, 'user' | 'address' | 'port'>): string {
  const address = hop.address.includes(':') ? `[${hop.address}]` : hop.address
  return `${hop.user}@${address}:${hop.port}`
}
