import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { EparaError } from './errors';

/** Flattens class-validator errors to `path: message` lines, naming nested fields by their dotted path. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {}))
      out.push({ field, message: message.startsWith(e.property) ? `${parent ? parent + '.' : ''}${message}` : `${field}: ${message}` });
    if (e.children?.length) out.push(...describeValidationErrors(e.children, field));
  }
  return out;
}

/**
 * Turns a plain object into a validated DTO instance or throws EparaError(400) whose message names
 * every bad field. Unknown fields are rejected, so a typo does not pass silently.
 */
export function validateDto<T extends object>(cls: new () => T, plain: unknown, what: string, options: { allowUnknown?: boolean } = {}): T {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw EparaError.badInput(`${what} must be a JSON object`);
  }
  const instance = plainToInstance(cls, plain);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: !options.allowUnknown });
  if (errors.length) {
    const fields = describeValidationErrors(errors);
    throw EparaError.badInput(`invalid ${what}: ${fields.map((f) => f.message).join('; ')}`, { fields });
  }
  return instance;
}

/**
 * Reads the environment once, at start-up, into a frozen, typed object. Every bad variable is
 * named in one error, with its value and what was expected.
 */
export function loadEnv<T extends object>(cls: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const instance = plainToInstance(cls, { ...env });
  const errors = validateSync(instance, { skipMissingProperties: false });
  if (errors.length) {
    const bad = describeValidationErrors(errors).map(
      (f) => `${f.field}=${JSON.stringify((env as Record<string, unknown>)[f.field] ?? null)} (${f.message})`,
    );
    throw new Error(`invalid environment: ${bad.join('; ')}`);
  }
  return Object.freeze(instance);
}
