import { plainToInstance } from 'class-transformer';
import {
  getMetadataStorage,
  registerDecorator,
  ValidationArguments,
  ValidationError,
  ValidatorOptions,
  validateSync,
} from 'class-validator';
import { EparaError } from './errors';

/**
 * How every request DTO is checked, by the gateway's global ValidationPipe and by `validateDto` alike:
 * unknown fields are refused (a typo must not pass silently), and an error keeps the object it was
 * found in so that its message can list the fields that object allows.
 */
export const DTO_VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: true, value: false },
} as const satisfies ValidatorOptions;

/** The fields an instance's DTO class declares: its own in declaration order, then the inherited ones. */
export function declaredFields(instance: object): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(instance.constructor, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))];
}

/**
 * Rules about a value's type. When one fails, the field's range and nesting rules fail with it and
 * would only repeat the point misleadingly ("must not be greater than 600000" for the string "100"):
 * the type is what the message says.
 */
const TYPE_RULES = new Set(['isDefined', 'isObject', 'isNumber', 'isInt', 'isString', 'isBoolean', 'isArray']);

function shownConstraints(e: ValidationError): [string, string][] {
  const all = Object.entries(e.constraints ?? {});
  const typeRule = all.find(([rule]) => TYPE_RULES.has(rule));
  return typeRule ? [typeRule] : all;
}

/** Flattens class-validator errors to `path: message` lines, naming nested fields by their dotted path. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    for (const [constraint, message] of shownConstraints(e)) {
      if (constraint === 'whitelistValidation') {
        const allowed = e.target ? declaredFields(e.target) : [];
        out.push({ field, message: `unknown field ${field}${allowed.length ? `: allowed fields are ${allowed.join(', ')}` : ''}` });
      } else {
        // Messages start with the property ("latencyMs must…"), the whole path ("slo.latencyMs must…") or neither.
        const named = message.startsWith(field)
          ? message
          : message.startsWith(e.property)
            ? `${parent ? parent + '.' : ''}${message}`
            : `${field}: ${message}`;
        out.push({ field, message: named });
      }
    }
    if (e.children?.length) out.push(...describeValidationErrors(e.children, field));
  }
  return out;
}

/** The 400 for a DTO that failed validation: the message names every bad field; `details.fields` lists them. */
export function invalidInput(errors: ValidationError[], what: string): EparaError {
  const fields = describeValidationErrors(errors);
  return EparaError.badInput(`invalid ${what}: ${fields.map((f) => f.message).join('; ')}`, { fields });
}

/**
 * Turns a plain object into a validated DTO instance or throws EparaError(400) whose message names
 * every bad field (the global ValidationPipe's rules, for a body that arrives inside another: the
 * deploy spec of a multipart upload).
 */
export function validateDto<T extends object>(cls: new () => T, plain: unknown, what: string): T {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw EparaError.badInput(`${what} must be a JSON object`);
  }
  const instance = plainToInstance(cls, plain);
  const errors = validateSync(instance, DTO_VALIDATOR_OPTIONS);
  if (errors.length) throw invalidInput(errors, what);
  return instance;
}

/**
 * A field checked by a parser that throws EparaError (the one the rest of Epara uses for that value,
 * e.g. a key's scopes or ttl): valid when it parses; otherwise the parser's own message is the error.
 */
export function ParsedBy(parse: (raw: unknown) => unknown) {
  const failure = (value: unknown): string | undefined => {
    try {
      parse(value);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: `parsedBy${parse.name ? `:${parse.name}` : ''}`,
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => failure(value) === undefined,
        defaultMessage: (args?: ValidationArguments) => failure(args?.value) ?? `${propertyName} is invalid`,
      },
    });
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
