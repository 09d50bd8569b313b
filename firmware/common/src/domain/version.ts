/** Release kinds the OTA client installs. */
export type ReleaseKind = 'firmware' | 'model';

const firmwarePattern = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const modelPattern = /^m-(\d{4})(\d{2})(\d{2})-([0-9a-f]{6,40})$/;

/** Spec §15: firmware versions are `vMAJOR.MINOR.PATCH`, models `m-YYYYMMDD-<sha>`. */
export const isValidVersion = (kind: ReleaseKind, version: string): boolean =>
  kind === 'firmware' ? firmwarePattern.test(version) : modelPattern.test(version);

const firmwareKey = (version: string): number[] | undefined => {
  const m = firmwarePattern.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
};

const modelKey = (version: string): number[] | undefined => {
  const m = modelPattern.exec(version);
  return m ? [Number(`${m[1]}${m[2]}${m[3]}`)] : undefined;
};

/**
 * Orders two versions of one kind: negative when `a` is older, 0 when neither is newer, positive
 * when `a` is newer; `undefined` when either is malformed. Model versions order by their date
 * only: two models of the same day are not ordered, so neither counts as newer (anti-rollback
 * must never accept an image it cannot prove is newer).
 */
export const compareVersions = (kind: ReleaseKind, a: string, b: string): number | undefined => {
  const key = kind === 'firmware' ? firmwareKey : modelKey;
  const ka = key(a);
  const kb = key(b);
  if (!ka || !kb) return undefined;
  for (let i = 0; i < ka.length; i++) {
    const d = ka[i]! - kb[i]!;
    if (d !== 0) return d;
  }
  return 0;
};
