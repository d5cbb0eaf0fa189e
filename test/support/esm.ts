import { pathToFileURL } from 'node:url';

/**
 * Imports an ES module (the plain-Node scripts/lib/*.mjs) from a test: a real dynamic import, which
 * tsc would otherwise compile to require(). Jest runs it with --experimental-vm-modules (npm test does).
 */
const dynamicImport = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

export function importEsm<T>(path: string): Promise<T> {
  return dynamicImport(pathToFileURL(path).href) as Promise<T>;
}
