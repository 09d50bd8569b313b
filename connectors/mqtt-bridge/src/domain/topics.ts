import type { RefusalReason } from '../errors';

/** What a device publishes, by the last level of its topic (DESIGN.md, MQTT). */
export const messageKinds = ['telemetry', 'status', 'inference', 'logs'] as const;

/** One of {@link messageKinds}. */
export type MessageKind = (typeof messageKinds)[number];

/** The only platform → device topic a device may subscribe to. */
export const OTA_LEVEL = 'ota';

/** Who a connection belongs to, once authenticated. */
export interface DeviceIdentity {
  readonly deviceId: string;
  readonly model: string;
}

/** A device → platform topic `{root}/{model}/{id}/{kind}`, split into its levels. */
export interface DeviceTopic {
  readonly model: string;
  readonly deviceId: string;
  readonly kind: MessageKind;
}

/** An ACL answer: allowed, or refused with a counted reason. */
export type AclDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: RefusalReason };

/** A publish ACL answer: allowed with the kind its topic names (so the topic is parsed once), or refused. */
export type PublishDecision =
  { readonly allowed: true; readonly kind: MessageKind } | { readonly allowed: false; readonly reason: RefusalReason };

const allow: AclDecision = { allowed: true };
const refuse = (reason: RefusalReason): { readonly allowed: false; readonly reason: RefusalReason } => ({ allowed: false, reason });
const isKind = (s: string): s is MessageKind => (messageKinds as readonly string[]).includes(s);
// MQTT 3.1.1 §4.7.1: '+' and '#' are wildcards in filters and forbidden in topic names.
const hasWildcard = (t: string): boolean => t.includes('+') || t.includes('#');
// MQTT 3.1.1 §4.7.2: topics starting with '$' are the server's ($SYS) and never match '#'.
const isServerTopic = (t: string): boolean => t.startsWith('$');

/**
 * Parses `{root}/{model}/{id}/{telemetry|status|inference|logs}`; undefined for anything else
 * (other depth, empty levels, wildcards, unknown kind).
 */
export function parseDeviceTopic(topic: string, root: string): DeviceTopic | undefined {
  const levels = topic.split('/');
  if (levels.length !== 4) return undefined;
  const [first, model, deviceId, kind] = levels as [string, string, string, string];
  if (first !== root || model === '' || deviceId === '' || hasWildcard(model) || hasWildcard(deviceId) || !isKind(kind)) return undefined;
  return { model, deviceId, kind };
}

/** The OTA topic a device subscribes to. */
export const otaTopicOf = (identity: DeviceIdentity, root: string): string => `${root}/${identity.model}/${identity.deviceId}/${OTA_LEVEL}`;

/**
 * May this device publish to `topic`? Only `{root}/{its model}/{its id}/{kind}` (DESIGN.md:
 * "a device may publish only under its own {model}/{id}").
 */
export function authorizePublishTopic(identity: DeviceIdentity, topic: string, root: string): PublishDecision {
  if (topic.length === 0) return refuse('empty_topic');
  if (hasWildcard(topic)) return refuse('wildcard');
  if (isServerTopic(topic)) return refuse('sys_topic');
  const parsed = parseDeviceTopic(topic, root);
  if (!parsed) return refuse('bad_topic');
  if (parsed.deviceId !== identity.deviceId) return refuse('foreign_topic');
  if (parsed.model !== identity.model) return refuse('model_mismatch');
  return { allowed: true, kind: parsed.kind };
}

/**
 * May this device subscribe to `filter`? Only its own OTA topic, spelled out: no wildcards,
 * so a device can never receive another device's messages.
 */
export function authorizeSubscribeFilter(identity: DeviceIdentity, filter: string, root: string): AclDecision {
  if (filter === otaTopicOf(identity, root)) return allow;
  if (filter.length === 0) return refuse('empty_topic');
  if (isServerTopic(filter)) return refuse('sys_topic');
  if (hasWildcard(filter)) return refuse('wildcard');
  const levels = filter.split('/');
  if (levels.length === 4 && levels[0] === root && levels[2] === identity.deviceId && levels[1] !== identity.model) {
    return refuse('model_mismatch');
  }
  return refuse(levels.length === 4 && levels[0] === root ? 'foreign_topic' : 'bad_topic');
}

/**
 * May the device leave this Will? The broker publishes a Will on the device's behalf after it
 * is gone (MQTT 3.1.1 §3.1.2.5), so it obeys the same rule as a publish.
 */
export const authorizeWillTopic = authorizePublishTopic;
