# shellcheck shell=sh
# The gather: read one host, read-only, in one run. Collectors print sections as they go and
# register the paths they need to know more about; the batch then reads all of those at once.
# A further collector is a function in its own file, listed in gather/script.ts and called here.

main() {
  exec 3>&1
  be_polite
  init_timeout
  collect_env
  collect_host_files
  collect_tables
  scan_processes
  resolve_binaries
  collect_nginx
  collect_fpm
  collect_units
  collect_sockets
  collect_listeners
  collect_logs
  batch
  collect_states
  collect_journal
  sec_begin 'done' - ''
  sec_end 'done' 0 -
}

main </dev/null
