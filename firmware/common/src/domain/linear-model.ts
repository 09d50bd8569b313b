import { FirmwareError } from '../errors';
import { utf8Decode } from './bytes';
import type { InferencePort, InferenceResult, MaybePromise, SensorReadings } from './ports';

/**
 * A model format small enough for any ESP32 and for the simulator alike: a softmax-linear
 * classifier over named sensor readings, stored as UTF-8 JSON in the model slot:
 *
 * ```json
 * { "format": "zenthos-linear-v1", "features": ["temperature", "humidity"],
 *   "labels": ["comfortable", "too_warm"], "weights": [[-0.4, -0.02], [0.4, 0.02]], "bias": [10, -10] }
 * ```
 *
 * It lets ML model releases travel the whole signed OTA path (model slot, self-test, rollback)
 * on boards without a TensorFlow Lite Micro build; a TFLM runner implements the same port.
 */
export interface LinearModel {
  readonly format: 'zenthos-linear-v1';
  readonly features: readonly string[];
  readonly labels: readonly string[];
  readonly weights: readonly (readonly number[])[];
  readonly bias: readonly number[];
}

const isNumbers = (v: unknown, length: number): v is number[] =>
  Array.isArray(v) && v.length === length && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Parses and checks a model image; throws `ZEN_FW_INFERENCE_FAILED` when it is not one. */
export const parseLinearModel = (bytes: Uint8Array): LinearModel => {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decode(bytes));
  } catch {
    throw new FirmwareError('ZEN_FW_INFERENCE_FAILED', 'model image is not JSON');
  }
  const m = json as Partial<LinearModel>;
  const features = m.features;
  const labels = m.labels;
  if (
    m.format !== 'zenthos-linear-v1' ||
    !Array.isArray(features) ||
    !features.every((f) => typeof f === 'string') ||
    !Array.isArray(labels) ||
    labels.length < 2 ||
    !labels.every((l) => typeof l === 'string') ||
    !Array.isArray(m.weights) ||
    m.weights.length !== labels.length ||
    !m.weights.every((row) => isNumbers(row, features.length)) ||
    !isNumbers(m.bias, labels.length)
  ) {
    throw new FirmwareError('ZEN_FW_INFERENCE_FAILED', 'model image is not a zenthos-linear-v1 model');
  }
  return m as LinearModel;
};

/** Runs a linear model on one sample: softmax over `weights · features + bias`. */
export const runLinearModel = (model: LinearModel, sample: SensorReadings): InferenceResult => {
  const x = model.features.map((f) => {
    const v = sample[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new FirmwareError('ZEN_FW_INFERENCE_FAILED', `sample lacks feature ${f}`);
    return v;
  });
  const logits = model.weights.map((row, i) => row.reduce((sum, w, j) => sum + w * x[j]!, model.bias[i]!));
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  const scores: Record<string, number> = {};
  let best = 0;
  exps.forEach((e, i) => {
    scores[model.labels[i]!] = e / total;
    if (e > exps[best]!) best = i;
  });
  return { label: model.labels[best]!, confidence: exps[best]! / total, scores };
};

/** An InferencePort that loads linear models from the active model slot. */
export const createLinearModelInference = (readActiveModel: (version: string) => MaybePromise<Uint8Array | undefined>): InferencePort => {
  let model: LinearModel | undefined;
  return {
    async load(version) {
      const bytes = await readActiveModel(version);
      if (!bytes) throw new FirmwareError('ZEN_FW_INFERENCE_FAILED', `model ${version} is not in the model slot`);
      model = parseLinearModel(bytes);
    },
    run(sample) {
      if (!model) throw new FirmwareError('ZEN_FW_INFERENCE_FAILED', 'no model loaded');
      return runLinearModel(model, sample);
    },
  };
};
