import { Tensor } from './tensor';

/** A request made ready for the model: validated, decoded, in the model's input order. */
export interface PreparedRequest {
  /** Model inputs, in the model's input order. */
  inputs: Tensor[];
  /** Items on the batch axis (a request may carry several). */
  items: number;
  /** Requests with equal keys can share one run: same non-batch dimensions, equal unbatched inputs. */
  groupKey: string;
  /** Output names the caller asked for; all when undefined. */
  outputNames?: string[];
  /** What the kind needs to finish the reply (e.g. the image scale). */
  context?: unknown;
}
