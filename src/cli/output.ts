/** What commands print, scrubbed of secrets on the way out (tool output may quote errors and URLs). */
import { scrub } from '../log/secrets.js';

export function print(text: string): void {
  process.stdout.write(scrub(text));
}

export function printErr(text: string): void {
  process.stderr.write(scrub(text));
}
