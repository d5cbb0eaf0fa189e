import 'reflect-metadata';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, ValidateBy } from 'class-validator';
import { NumberEnvOptions, parseBooleanEnv, parseNumberEnv } from './env-values';

export const LogFormat = { Text: 'text', Json: 'json' } as const;
export type LogFormat = (typeof LogFormat)[keyof typeof LogFormat];

/** Environment every app reads. Defaults live here, next to the type. */
export class CommonEnv {
  /** NATS server URL(s), comma-separated. Default `nats://127.0.0.1:4222`. */
  @IsString()
  NATS_URL: string = 'nats://127.0.0.1:4222';

  /** NATS credentials and TLS, as the nats CLI and clients name them (read by libs/nats natsSecurityFromEnv). */
  /** A creds file (JWT + seed), for servers in operator (JWT) mode. */
  @IsOptional()
  @IsString()
  NATS_CREDS?: string;

  /** An nkey user seed, or a file holding one (Epara's generated credentials: `.epara/credentials/<role>.nk`). */
  @IsOptional()
  @IsString()
  NATS_NKEY_SEED?: string;

  @IsOptional()
  @IsString()
  NATS_USER?: string;

  @IsOptional()
  @IsString()
  NATS_PASSWORD?: string;

  @IsOptional()
  @IsString()
  NATS_TOKEN?: string;

  /** CA certificate file: connect over TLS and check the server against it. */
  @IsOptional()
  @IsString()
  NATS_TLS_CA?: string;

  /** Client certificate and key files, for servers that verify clients (mutual TLS). */
  @IsOptional()
  @IsString()
  NATS_TLS_CERT?: string;

  @IsOptional()
  @IsString()
  NATS_TLS_KEY?: string;

  /** Where replies arrive: `_INBOX_<user>` with Epara's generated users (whose permissions allow only that). */
  @IsOptional()
  @IsString()
  NATS_INBOX_PREFIX?: string;

  /**
   * Replicas of Epara's JetStream buckets and object stores when the apps create them (1 to 5, default 1):
   * 3 on a JetStream cluster of 3 or more servers keeps the state available while one is cut off.
   */
  @IntEnv(1, 5)
  EPARA_JETSTREAM_REPLICAS: number = 1;

  /** `text` (default) or `json` log lines. */
  @IsIn(Object.values(LogFormat))
  EPARA_LOG_FORMAT: LogFormat = 'text';

  /** Cache for fetched and downloaded models. Default `~/.cache/epara`. */
  @IsOptional()
  @IsString()
  EPARA_CACHE_DIR?: string;
}

/** A value the parser refused, kept until validation names it: a class-transformer Transform cannot fail a field. */
class RefusedEnvValue {
  constructor(readonly message: string) {}
}

/**
 * An env var read by `parse` (which throws naming the variable): loadEnv then reports every refused
 * variable in one error. Unset keeps the field's default.
 */
export function ParsedEnv(parse: (name: string, raw: string) => unknown): PropertyDecorator {
  return (target, key) => {
    const name = String(key);
    Transform(({ value }) => {
      if (typeof value !== 'string') return value;
      try {
        return parse(name, value);
      } catch (e) {
        return new RefusedEnvValue((e as Error).message);
      }
    })(target, key);
    ValidateBy({
      name: 'parsedEnv',
      validator: {
        validate: (value) => !(value instanceof RefusedEnvValue),
        defaultMessage: (args) => (args?.value as RefusedEnvValue).message,
      },
    })(target, key);
  };
}

/** Boolean env var: `1/0/true/false/on/off/yes/no`, any case; anything else stops the app at start. */
export function BoolEnv(): PropertyDecorator {
  return ParsedEnv(parseBooleanEnv);
}

/** Numeric env var (decimal; optionally whole and bounded); `12abc`, empty or `NaN` stops the app at start. */
export function NumberEnv(options: NumberEnvOptions = {}): PropertyDecorator {
  return ParsedEnv((name, raw) => parseNumberEnv(name, raw, options));
}

/** Integer env var from `min` to `max`. */
export function IntEnv(min: number, max: number): PropertyDecorator {
  return NumberEnv({ integer: true, min, max });
}
