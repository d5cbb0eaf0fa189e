import { EparaError, FunctionKind, Invocation, kindCapabilities, PreparedRequest } from '@epara/contracts';
import type { KindHandler } from '@epara/runtime';
import { boxesDocument, postprocessBoxes, preprocessImage } from './text-detection';

interface ImageContext {
  scaleX: number;
  scaleY: number;
  width: number;
  height: number;
}

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'];

/** PP-OCR text detection: image bytes in, text boxes (original pixel coordinates) out. */
export const textDetectionKind: KindHandler = {
  ...kindCapabilities(FunctionKind.TextDetection),
  async prepare(invocation: Invocation): Promise<PreparedRequest> {
    if (invocation.type !== 'media' || !IMAGE_TYPES.includes(invocation.mediaType)) {
      const got = invocation.type === 'media' ? invocation.mediaType : 'tensors';
      throw EparaError.badInput(
        `a ${FunctionKind.TextDetection} function takes PNG, JPEG or WebP bytes (Content-Type image/png, image/jpeg or image/webp), not ${got}`,
      );
    }
    const { tensor, scaleX, scaleY, width, height } = await preprocessImage(invocation.bytes);
    const context: ImageContext = { scaleX, scaleY, width, height };
    return { inputs: [tensor], items: 1, groupKey: `${tensor.shape[2]}x${tensor.shape[3]}`, context };
  },
  finish(outputs, prepared) {
    const map = outputs[0];
    const [, , h, w] = map.shape;
    const boxes = postprocessBoxes(map.data as Float32Array, w, h, prepared.context as ImageContext);
    return { type: 'document', body: boxesDocument(boxes) };
  },
  sample(model) {
    const shape = [1, 3, 320, 320];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    return {
      inputs: [{ name: model.inputs[0].name, datatype: 'FP32', shape, data }],
      items: 1,
      groupKey: '320x320',
      context: { scaleX: 1, scaleY: 1, width: 320, height: 320 },
    };
  },
};
