import { isFirmwareError } from '../errors';
import { utf8Encode } from './bytes';
import { createLinearModelInference, parseLinearModel, runLinearModel, type LinearModel } from './linear-model';

const model: LinearModel = {
  format: 'zenthos-linear-v1',
  features: ['temperature', 'humidity'],
  labels: ['comfortable', 'too_warm'],
  weights: [
    [-1, 0],
    [1, 0],
  ],
  bias: [26, -26],
};
const image = (m: unknown): Uint8Array => utf8Encode(JSON.stringify(m));

describe('linear model inference', () => {
  it.each([
    [20, 'comfortable'],
    [26.5, 'too_warm'],
    [35, 'too_warm'],
  ])('classifies %f °C as %s with scores summing to 1', (temperature, label) => {
    const out = runLinearModel(model, { temperature, humidity: 50 });
    expect(out.label).toBe(label);
    expect(out.confidence).toBeGreaterThanOrEqual(0.5);
    expect(Object.values(out.scores!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it.each([
    ['not JSON', utf8Encode('\u0000\u0001')],
    ['wrong format', image({ ...model, format: 'onnx' })],
    ['weights of the wrong width', image({ ...model, weights: [[1], [2]] })],
    ['bias of the wrong length', image({ ...model, bias: [1] })],
    ['one label', image({ ...model, labels: ['x'], weights: [[1, 1]], bias: [0] })],
  ])('refuses a model image that is %s', (_name, bytes) => {
    expect(() => parseLinearModel(bytes)).toThrow(expect.objectContaining({ code: 'ZEN_FW_INFERENCE_FAILED' }));
  });

  it('loads from the model slot and fails clearly on a sample without the features', async () => {
    const port = createLinearModelInference(() => image(model));
    await port.load('m-20261130-abc123');
    expect((await port.run({ temperature: 30, humidity: 40 })).label).toBe('too_warm');
    let error: unknown;
    try {
      await port.run({ humidity: 40 });
    } catch (err) {
      error = err;
    }
    expect(isFirmwareError(error, 'ZEN_FW_INFERENCE_FAILED')).toBe(true);
  });
});
