import type { LogLevel } from './options';

/** What the `method` text depends on. */
export interface MethodSettings {
  /** The visibility observer ran (`--stages`). */
  readonly stages: boolean;
  /** `LOG_LEVEL` of the services. */
  readonly logLevel: LogLevel;
}

const LOAD =
  "Load generator: runLoad of @zenthos/testing in a child process of its own (its CPU and RSS are the generator's alone), a minimal MQTT 3.1.1 QoS 1 publisher over node:net (no client " +
  'library): one connection per device (CONNACK checked), a window of --in-flight unacknowledged PUBLISHes per connection refilled ' +
  'as PUBACKs arrive, the PUBLISHes of one event-loop turn written as one buffer; payloads are the firmware telemetry of ' +
  'buildTelemetry (built once per device, a fresh UUIDv4 message_id and the current timestamp written into each message); the ' +
  "publish time of each message_id is taken just before the write; a warm-up (not counted) runs first: one message per device, then the rest of --warm-up (default 100,000 messages in all) spread over the devices unpaced, then a pause while the Kafka broker is younger than 60 s, so the fresh services and the broker run optimised code when the measured run starts. Arrival: with track_commit_timestamp on, the commit time of the row's inserting transaction, pg_xact_commit_timestamp(xmin) " +
  '(when the row became visible); otherwise, in a throw-away database, an AFTER INSERT trigger on telemetry_raw stamps each inserted row with clock_timestamp() (the INSERT of the sink, a few ms before its COMMIT). Latency = arrival − ' +
  'publish per message_id, same host clock. Rate = rows / (last arrival − first publish). Lost = published and acknowledged but ' +
  'never inserted; duplicated = rows − distinct message_id. CPU = (utime + stime) deltas of /proc/<pid>/stat over the run, ' +
  'RSS = largest VmRSS of /proc/<pid>/status sampled every 500 ms; the Kafka broker (the kafka.Kafka JVM listening on KAFKA_BROKERS), Postgres and Redis processes of the local stack ' +
  'are measured the same way (they serve other work on the machine too). cpuMsPerMessageTotal = the CPU of the load generator, ' +
  'the services and those stack processes together, per message. ';

const STAGES_MEASURED =
  "Stages (--stages): a read_committed consumer of the run's enriched " +
  'topic in a child process of its own (fetch.min.bytes 16 KiB with fetch.wait.max.ms 50, polls of at most 100 records) notes when each record becomes ' +
  'readable, i.e. its transaction committed; its CPU over the run is reported as stageObserver (not counted in services nor in ' +
  "cpuMsPerMessageTotal, though it shares the machine with them; the broker's work for its fetches is in the broker's figure); " +
  'after the run each record is decoded for ingest_ts (bridge receive) and enriched_ts (processor enrich ' +
  'step), giving publish → bridge → processed → visible → row per message_id (each leg over the messages seen at both ends; ' +
  'leg percentiles do not add up to the total). ';

const STAGES_NOT_MEASURED =
  'Stages: not measured (stages null): the per-stage split needs an extra Kafka consumer of the enriched topic on the same machine, ' +
  'whose CPU and broker fetches would be taken from the services; run with --stages for it. ';

const REST =
  'Processor transactions = growth of zenthos_worker_processing_time_seconds_count {outcome="committed"} on the processor\'s ' +
  '/metrics over the run. kafkaBrokerAgeS = seconds the broker JVM had run when the ' +
  'measured run started (a note is printed under 60 s: JIT warm-up inflates its CPU per message). Paced (--rate R): each device ' +
  "publishes R/devices messages per second, the devices' schedules staggered evenly over one interval, released by one 2 ms " +
  'interval timer and by PUBACKs, the --in-flight window still applying; a device more than maxBurst messages behind skips the ' +
  'older slots (skippedSlots). Published rate = (PUBLISHes − 1) / (last − first PUBLISH); achieved rate = (rows − 1) / (last − ' +
  "first arrival) over the run's own message_ids; backlog at the end = the run's messages stamped after its last PUBLISH; " +
  'sustained = achieved ≥ 98% of offered and that backlog ≤ 1 s of the offered rate. Paced, the goal is judged on the achieved ' +
  'rate. A sweep (--rates) runs one paced run per rate against the same services, 3 s apart, each over its own message_ids. ' +
  'Baselines run after the end-to-end run, one at a time, unpaced.';

/** The `method` text of a result file: how this run measured, stages included or not. */
export const benchMethod = (settings: MethodSettings): string =>
  LOAD + `Services log at LOG_LEVEL ${settings.logLevel}. ` + (settings.stages ? STAGES_MEASURED : STAGES_NOT_MEASURED) + REST;
