// Reading a pfile's text, apart from the parser: padmin needs only this.
import { readRegularFile } from '../system/files.js';
import { LIMITS, type Diagnostic } from './types.js';

export type PfileText = { readonly text: string } | { readonly error: Diagnostic };

/**
 * The text of the pfile at `file`, or why not. Never blocks: a FIFO, a directory or a device is
 * refused (opened without waiting for a writer, then fstat'ed), and at most LIMITS.pfileBytes + 1
 * bytes are read. A symbolic link to a regular file is read as that file.
 */
export function readPfile(file: string): PfileText {
  const read = readRegularFile(file, LIMITS.pfileBytes);
  if ('text' in read) return read;
  const { refused } = read;
  const message =
    refused.reason === 'open'
      ? `cannot read the pfile: ${refused.code}`
      : refused.reason === 'notRegular'
        ? `cannot read the pfile: it is ${refused.kind}; the pfile must be a regular file (or a symbolic link to one)`
        : `the pfile is ${refused.size}, over the limit of ${LIMITS.pfileBytes} bytes (${LIMITS.pfileBytes / 1024} KiB); a pfile is a few KB: check that -f names the pfile`;
  return { error: { file, line: 0, severity: 'error', message } };
}
