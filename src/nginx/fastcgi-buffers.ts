/** The FastCGI buffer settings nginx checks together (ngx_http_fastcgi_merge_loc_conf), in bytes. */
export interface FastcgiBuffers {
  bufferSize: number
  buffers: {count: number; size: number}
  /** fastcgi_busy_buffers_size as written; undefined lets nginx derive it. */
  busy?: number
}

/** What nginx uses when fastcgi_busy_buffers_size is not set: twice the larger of the buffer size and one buffer. */
export function derivedBusyBuffers(bufferSize: number, oneBuffer: number): number {
  return 2 * Math.max(bufferSize, oneBuffer)
}

/** The smallest fastcgi_busy_buffers_size nginx accepts. */
export function minBusyBuffers(bufferSize: number, oneBuffer: number): number {
  return Math.max(bufferSize, oneBuffer)
}

/** The largest fastcgi_busy_buffers_size nginx accepts: every buffer but one. */
export function maxBusyBuffers(buffers: {count: number; size: number}): number {
  return (buffers.count - 1) * buffers.size
}

/** The `[emerg]` `nginx -t` prints for these buffer settings, or undefined when it accepts them. */
export function fastcgiBuffersProblem(settings: FastcgiBuffers): string | undefined {
  const {bufferSize, buffers} = settings
  if (buffers.count < 2) return 'there must be at least 2 "fastcgi_buffers"'
  const busy = settings.busy ?? derivedBusyBuffers(bufferSize, buffers.size)
  if (busy < minBusyBuffers(bufferSize, buffers.size))
    return '"fastcgi_busy_buffers_size" must be equal to or greater than the maximum of the value of "fastcgi_buffer_size" and one of the "fastcgi_buffers"'
  if (busy > maxBusyBuffers(buffers))
    return '"fastcgi_busy_buffers_size" must be less than the size of all "fastcgi_buffers" minus one buffer'
  return undefined
}
