/** A lab that could not be started, reached or torn down; `log` carries the host-side output. */
export class LabError extends Error {
  readonly host: string | undefined
  readonly log: string | undefined

  constructor(message: string, options: {host?: string; log?: string; cause?: unknown} = {}) {
    super(options.log ? `${message}\n--- log ---\n${options.log}` : message, {cause: options.cause})
    this.name = 'LabError'
    this.host = options.host
    this.log = options.log
  }
}

/** A command inside a lab host exited non-zero. */
export class LabExecError extends LabError {
  readonly code: number
  readonly stdout: string
  readonly stderr: string

  constructor(host: string, script: string, result: {code: number; stdout: string; stderr: string}) {
    super(
      `command on ${host} exited ${result.code}: ${script}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
      {host},
    )
    this.name = 'LabExecError'
    this.code = result.code
    this.stdout = result.stdout
    this.stderr = result.stderr
  }
}
