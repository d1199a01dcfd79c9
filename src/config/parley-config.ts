/**
 * The service's configuration, read from the environment once at start-up and validated
 * with class-validator; a bad value stops the start with a message naming the variable.
 */
import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { b64uDecode, MAX_ENVELOPE_BYTES } from '../protocol';
import { SCHEMA_NAME } from '../store/postgres/postgres-schema';

export const PARLEY_CONFIG = Symbol('PARLEY_CONFIG');

// Plain digits only ('1e3', '0x50', '80.0' and blanks stay text, which WholeNumber's IsInt refuses).
const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : /^\d+$/.test(String(value)) ? Number(value) : value);

/**
 * A whole number in plain digits, min ≤ n ≤ max. The form is checked first and alone
 * (validation stops at a property's first error), so `abc` is not also told its range.
 */
function WholeNumber(min: number, max?: number): PropertyDecorator {
  return (target, key) => {
    Transform(toInt)(target, key);
    IsInt({ message: '$property must be a whole number in plain digits' })(target, key);
    Min(min)(target, key);
    if (max !== undefined) Max(max)(target, key);
  };
}

export class ParleyConfig {
  /** HTTP port. */
  @WholeNumber(0, 65535)
  PORT = 3000;

  /** Host to bind. */
  @IsString()
  HOST = '0.0.0.0';

  /** Where the embedded store and the notary key live. */
  @IsString()
  PARLEY_DATA_DIR = './data';

  @IsIn(['sqlite', 'postgres', 'eventstoredb'])
  PARLEY_STORE: 'sqlite' | 'postgres' | 'eventstoredb' = 'sqlite';

  /** postgres://… ; required when PARLEY_STORE=postgres. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'PARLEY_POSTGRES_URL must be a postgres:// URL' })
  PARLEY_POSTGRES_URL?: string;

  /** esdb://… ; required when PARLEY_STORE=eventstoredb. */
  @IsOptional()
  @Matches(/^esdb(\+discover)?:\/\//, { message: 'PARLEY_ESDB_URL must be an esdb:// URL' })
  PARLEY_ESDB_URL?: string;

  /** Largest accepted envelope, in bytes (413 above). */
  @WholeNumber(1024, MAX_ENVELOPE_BYTES)
  PARLEY_MAX_ENVELOPE_BYTES = 1024 * 1024;

  /** The notary's Ed25519 seed (b64u); when unset a key is generated into PARLEY_DATA_DIR/notary.key (mode 0600). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'PARLEY_NOTARY_SEED must be a 32-byte b64u Ed25519 seed' })
  PARLEY_NOTARY_SEED?: string;

  /**
   * Global auditors, comma-separated `signKey:boxKey` pairs (b64u); their keyid is the
   * fingerprint of the pair. They may read every channel and GET /v1/export.
   */
  @IsOptional()
  @Matches(/^([A-Za-z0-9_-]{43}:[A-Za-z0-9_-]{43})(,[A-Za-z0-9_-]{43}:[A-Za-z0-9_-]{43})*$/, {
    message: 'PARLEY_AUDITORS must be comma-separated signKey:boxKey pairs in b64u',
  })
  PARLEY_AUDITORS?: string;

  /** Accepted age of a request signature's `created`, in seconds (DESIGN.md Part 3: 300). */
  @WholeNumber(1, 3600)
  PARLEY_SIGNATURE_WINDOW_S = 300;

  /** How far in the future an envelope's `at` may be, in seconds (at most a day: more would turn the check off). */
  @WholeNumber(0, 86_400)
  PARLEY_MAX_CLOCK_SKEW_S = 300;

  /** Live streams (SSE) this process serves at once; one more is answered 503, to be retried. */
  @WholeNumber(1)
  PARLEY_MAX_STREAMS = 1000;

  /** On SIGTERM or SIGINT, how long requests in flight may take to be answered before they are cut off (live streams are not waited for). */
  @WholeNumber(0, 3600)
  PARLEY_SHUTDOWN_GRACE_S = 10;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** The PostgreSQL schema (the store module reads it from the environment; checked here for a clear start-up error). */
  @IsOptional()
  @Matches(SCHEMA_NAME, { message: `PARLEY_POSTGRES_SCHEMA must match ${SCHEMA_NAME.source} (lower case, at most 48 characters)` })
  PARLEY_POSTGRES_SCHEMA?: string;
}

export class ConfigError extends Error {}

/** Reads and validates the configuration; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ParleyConfig {
  const known = Object.keys(new ParleyConfig());
  const given: Record<string, string> = {};
  for (const key of [...known, 'PARLEY_POSTGRES_URL', 'PARLEY_ESDB_URL', 'PARLEY_NOTARY_SEED', 'PARLEY_AUDITORS', 'PARLEY_POSTGRES_SCHEMA']) {
    const v = env[key];
    if (v !== undefined && v !== '') given[key] = v;
  }
  const config = plainToInstance(ParleyConfig, given);
  const errors = validateSync(config, { forbidUnknownValues: true, stopAtFirstError: true });
  // Each message names its variable already.
  const problems = errors.flatMap((e) => Object.values(e.constraints ?? {}));
  if (config.PARLEY_STORE === 'postgres' && !config.PARLEY_POSTGRES_URL) {
    problems.push('PARLEY_POSTGRES_URL is required when PARLEY_STORE=postgres');
  }
  if (config.PARLEY_STORE === 'eventstoredb' && !config.PARLEY_ESDB_URL) {
    problems.push('PARLEY_ESDB_URL is required when PARLEY_STORE=eventstoredb');
  }

  // The patterns check the form; keys of the right form must also decode (canonical b64u of 32 bytes).
  const malformed = new Set(errors.map((e) => e.property));
  if (config.PARLEY_NOTARY_SEED && !malformed.has('PARLEY_NOTARY_SEED') && !b64uDecode(config.PARLEY_NOTARY_SEED, 32)) {
    problems.push('PARLEY_NOTARY_SEED: not canonical b64u of 32 bytes');
  }
  if (config.PARLEY_AUDITORS && !malformed.has('PARLEY_AUDITORS')) {
    config.PARLEY_AUDITORS.split(',').forEach((pair, i) => {
      if (pair.split(':').some((key) => !b64uDecode(key, 32))) problems.push(`PARLEY_AUDITORS: pair ${i + 1} is not two canonical 32-byte b64u keys`);
    });
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}

/**
 * What a valid configuration may still get wrong, said at start: a URL for a store not chosen
 * is likely a unit file short of a line, and an instance on its own SQLite file beside others
 * on the shared store splits the log. (Warned, not refused: a shell may export one for tools.)
 */
export function configWarnings(config: ParleyConfig): string[] {
  const warnings: string[] = [];
  if (config.PARLEY_POSTGRES_URL && config.PARLEY_STORE !== 'postgres') {
    warnings.push(`PARLEY_POSTGRES_URL is set but PARLEY_STORE is ${config.PARLEY_STORE}: this instance does not use PostgreSQL (set PARLEY_STORE=postgres if it should)`);
  }
  if (config.PARLEY_ESDB_URL && config.PARLEY_STORE !== 'eventstoredb') {
    warnings.push(`PARLEY_ESDB_URL is set but PARLEY_STORE is ${config.PARLEY_STORE}: this instance does not use EventStoreDB (set PARLEY_STORE=eventstoredb if it should)`);
  }
  return warnings;
}
