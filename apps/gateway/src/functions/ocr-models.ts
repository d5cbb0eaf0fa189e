import { EparaError, OcrModelsDto } from '@epara/contracts';
import type { ModelSignature } from '@epara/runtime';

/** An ocr function's models in stage order: detector, line orientation classifier, recognizer. */
export const OCR_MODEL_ROLES = ['det', 'cls', 'rec'] as const satisfies readonly (keyof OcrModelsDto)[];

/** The dictionary `npm run fetch-models` puts beside the bundled recognizer (scripts/models.json). */
export const BUNDLED_DICTIONARY = 'ppocr_keys_v1.txt';

const WHAT = {
  det: 'a PP-OCR text detector: one FP32 input [N,3,H,W], one output [N,1,H,W]',
  cls: 'a PP-OCR line orientation classifier: one FP32 input [N,3,48,192], one output [N,2]',
  rec: 'a PP-OCR recognizer: one FP32 input [N,3,48,W], one output [N,W/8,classes]',
} as const;

const describe = (s: ModelSignature) =>
  `inputs ${s.inputs.map((i) => `${i.name} ${i.datatype} [${i.shape}]`).join(', ')}; outputs ${s.outputs.map((o) => `${o.name} ${o.datatype} [${o.shape}]`).join(', ')}`;

/** Refuses a model that cannot play its role in the ocr pipeline, naming the spec field and what it expected. */
export function checkOcrModel(role: (typeof OCR_MODEL_ROLES)[number], s: ModelSignature, field: string, classes?: number): void {
  const [input] = s.inputs;
  const [output] = s.outputs;
  const fits =
    s.inputs.length === 1 &&
    s.outputs.length === 1 &&
    input.datatype === 'FP32' &&
    input.shape.length === 4 &&
    (role === 'det'
      ? output.shape.length === 4
      : role === 'cls'
        ? output.shape.length === 2 && output.shape[1] === 2
        : output.shape.length === 3);
  if (!fits) throw EparaError.badInput(`${field} must be ${WHAT[role]}; this model has ${describe(s)}`, { field });
  const modelClasses = output.shape[2];
  if (classes !== undefined && typeof modelClasses === 'number' && modelClasses !== classes)
    throw EparaError.badInput(
      `${field}: the recognizer scores ${modelClasses} classes, but its dictionary makes ${classes} (blank + ${classes - 2} lines + space)`,
      { field },
    );
}
