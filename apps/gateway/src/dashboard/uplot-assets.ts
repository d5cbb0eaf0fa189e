import { readFileSync } from 'node:fs';

/** A file of the installed uplot package, read on first use and kept (51 KB of script, 2 KB of CSS). */
function packageFile(path: string): () => Buffer {
  let bytes: Buffer | undefined;
  return () => (bytes ??= readFileSync(require.resolve(`uplot/dist/${path}`)));
}

export const UPLOT_JS = packageFile('uPlot.iife.min.js');
export const UPLOT_CSS = packageFile('uPlot.min.css');
