import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// `require("x")` as tsc emits it for imports, re-exports and `import()`; type-only imports leave none.
const REQUIRE_CALL = /\brequire\(\s*["']([^"']+)["']\s*\)/g;

function resolveFile(path: string): string | undefined {
  for (const candidate of [path, `${path}.js`, join(path, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The packages a compiled entry file can load, following its relative requires through the compiled
 * files (apps and the libs the build copied beside them) without running anything. `node:` built-ins
 * are left out; packages are not followed into node_modules.
 */
export function packagesReachable(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const pending = [resolve(entry)];
  while (pending.length) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(REQUIRE_CALL)) {
      if (specifier.startsWith('.')) {
        const next = resolveFile(resolve(dirname(file), specifier));
        if (!next) throw new Error(`${file} requires ${specifier}, which is not in the build`);
        pending.push(next);
      } else if (!specifier.startsWith('node:')) {
        packages.add(packageOf(specifier));
      }
    }
  }
  return packages;
}
