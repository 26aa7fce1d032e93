/**
 * The secrets this process knows (values of secret variables, `_FILE` contents, URL passwords),
 * remembered when the configuration is loaded so every output path can hide them: see scrub().
 */
import { redact, urlSecrets } from '../core/redact.js';

const known = new Set<string>();

export function rememberSecret(value: string | undefined): void {
  if (value === undefined || value === '') return;
  known.add(value);
  for (const part of urlSecrets(value)) known.add(part);
}

/** Any text about to leave the process, with every secret form hidden. */
export function scrub(text: string): string {
  return redact(text, known);
}
