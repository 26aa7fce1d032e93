import { readFileSync } from 'node:fs';

/** The real reader for `<NAME>_FILE` secrets; the loaders take it as a parameter to stay pure. */
export const readSecretFile = (path: string): string => readFileSync(path, 'utf8');
