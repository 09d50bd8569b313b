import type { StatusEnriched } from '@zenthos/schemas';
import type { OtaState } from './rollout';
import type { ReleaseKind } from './versions';

/** An OTA report carried by a device status message (MQTT `.../status` → Kafka). */
export interface StatusOtaReport {
  readonly deviceId: string;
  readonly deviceModel: string;
  readonly kind: ReleaseKind;
  readonly version: string;
  readonly state: OtaState;
  readonly detail: string | undefined;
}

/**
 * The OTA report inside an enriched status record, if it carries one the rollouts can use:
 * `unknown` (a state this reader's schema does not know) is skipped rather than guessed.
 */
export function otaReportOf(status: Pick<StatusEnriched, 'device_id' | 'device_model' | 'ota'>): StatusOtaReport | undefined {
  const ota = status.ota;
  if (!ota || ota.state === 'unknown') return undefined;
  return {
    deviceId: status.device_id,
    deviceModel: status.device_model,
    kind: ota.artifact,
    version: ota.release_version,
    state: ota.state,
    detail: ota.error ?? undefined,
  };
}
