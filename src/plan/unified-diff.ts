import {createTwoFilesPatch, FILE_HEADERS_ONLY} from 'diff'

/** A git-style unified diff (`--- a/path`, `+++ b/path`) of one file's bytes. */
export function unifiedDiff(path: string, before: string, after: string): string {
  const patch = createTwoFilesPatch(`a${path}`, `b${path}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  })
  return `diff --git a${path} b${path}\n${patch}`
}
