import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { NAME_PATTERN } from '../subjects';
import { Footprint, FUNCTION_KINDS, FunctionKind, Mode, MODES, Sensitivity } from '../vocabulary';

const SLO_IS_AN_OBJECT = 'slo must be an object, e.g. {"latencyMs": 100}';

export class SloDto {
  /**
   * End-to-end latency objective, ms. Min 1, max 600000.
   * @example 100
   */
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'slo.latencyMs must be a number of milliseconds' })
  @Min(1)
  @Max(600_000)
  latencyMs!: number;

  /** Text generation: time per output token, ms. Optional. */
  @IsOptional()
  @IsNumber()
  @Min(0.1)
  @Max(60_000)
  tpotMs?: number;
}

export class HintsDto {
  @IsOptional()
  @IsIn(MODES)
  mode?: Mode;

  @IsOptional()
  @IsIn(Object.values(Sensitivity))
  sensitivity?: Sensitivity;

  @IsOptional()
  @IsIn(Object.values(Footprint))
  footprint?: Footprint;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024)
  maxBatchSize?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(10_000)
  maxQueueDelayMs?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  memoryBytes?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  replicas?: number;
}

export class ExpectedDto {
  @IsOptional()
  @IsNumber()
  @Min(0)
  rps?: number;
}

/** Refers to a model already in the object store (by sha256) or bundled with Epara (by name). */
export class ModelRefDto {
  @IsOptional()
  @Matches(/^[a-f0-9]{64}$/, { message: 'model.sha256 must be 64 lower-case hex characters' })
  sha256?: string;

  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{0,63}$/, { message: 'model.bundled must name a bundled model, e.g. "ppocr-det"' })
  bundled?: string;
}

/** The three models of an `ocr` function: PP-OCR text detector, line orientation classifier, recognizer. */
export class OcrModelsDto {
  @IsDefined({ message: 'models.det is required: the text detector, e.g. {"bundled": "ppocr-det"}' })
  @ValidateNested()
  @Type(() => ModelRefDto)
  det!: ModelRefDto;

  @IsDefined({ message: 'models.cls is required: the line orientation classifier, e.g. {"bundled": "ppocr-cls"}' })
  @ValidateNested()
  @Type(() => ModelRefDto)
  cls!: ModelRefDto;

  @IsDefined({ message: 'models.rec is required: the text recognizer, e.g. {"bundled": "ppocr-rec"}' })
  @ValidateNested()
  @Type(() => ModelRefDto)
  rec!: ModelRefDto;
}

/** Settings shared by a spec and a patch (the SLO is added by each: required in one, optional in the other). */
class FunctionSettingsDto {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @IsOptional()
  @IsObject({ message: 'hints must be an object, e.g. {"mode": "batch", "maxBatchSize": 8}' })
  @ValidateNested()
  @Type(() => HintsDto)
  hints?: HintsDto;

  @IsOptional()
  @IsObject({ message: 'expected must be an object, e.g. {"rps": 50}' })
  @ValidateNested()
  @Type(() => ExpectedDto)
  expected?: ExpectedDto;
}

/** `PATCH /v1/functions/:name`: what may change without a new model. */
export class PatchFunctionDto extends FunctionSettingsDto {
  @IsOptional()
  @IsObject({ message: SLO_IS_AN_OBJECT })
  @ValidateNested()
  @Type(() => SloDto)
  slo?: SloDto;
}

/** The `spec` of `POST /v1/functions`. */
export class DeployFunctionDto extends FunctionSettingsDto {
  /**
   * 1-63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit.
   * @example "vad"
   */
  @IsString()
  @Matches(NAME_PATTERN, { message: "name must be 1-63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit" })
  name!: string;

  /** What the function does with a request; decides its input and output formats. */
  @IsIn(FUNCTION_KINDS, { message: `kind must be one of: ${FUNCTION_KINDS.join(', ')}` })
  kind!: FunctionKind;

  @IsDefined({ message: 'slo is required, e.g. {"latencyMs": 100}' })
  @IsObject({ message: SLO_IS_AN_OBJECT })
  @ValidateNested()
  @Type(() => SloDto)
  slo!: SloDto;

  @IsOptional()
  @IsObject({ message: 'model must be an object, {"bundled": "<name>"} or {"sha256": "<64 hex>"}' })
  @ValidateNested()
  @Type(() => ModelRefDto)
  model?: ModelRefDto;

  /** A kind built of several models (`ocr`): each named like `model` (bundled or stored). */
  @IsOptional()
  @ValidateNested()
  @Type(() => OcrModelsDto)
  models?: OcrModelsDto;
}
