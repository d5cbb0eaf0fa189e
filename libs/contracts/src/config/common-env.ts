import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

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

  /** `text` (default) or `json` log lines. */
  @IsIn(Object.values(LogFormat))
  EPARA_LOG_FORMAT: LogFormat = 'text';

  /** Cache for fetched and downloaded models. Default `~/.cache/epara`. */
  @IsOptional()
  @IsString()
  EPARA_CACHE_DIR?: string;
}

/** Integer env var with bounds; empty string counts as unset. */
export function IntEnv(min: number, max: number): PropertyDecorator {
  return (target, key) => {
    Transform(({ value }) => (value === '' || value === undefined ? undefined : Number(value)))(target, key);
    Type(() => Number)(target, key);
    IsInt({ message: `${String(key)} must be an integer from ${min} to ${max}` })(target, key);
    Min(min, { message: `${String(key)} must be at least ${min}` })(target, key);
    Max(max, { message: `${String(key)} must be at most ${max}` })(target, key);
  };
}
