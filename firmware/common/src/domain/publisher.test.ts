import { createFakeMqtt, createManualClock, flush } from '../../test/fakes';
import { createPublisher, type PublishCounters } from './publisher';

const counters = (): PublishCounters => ({ sent: 0, acknowledged: 0, errors: 0, buffered: 0, dropped: 0, inFlight: 0 });
const bytes = (n: number): Uint8Array => Uint8Array.of(n);

describe('createPublisher', () => {
  it.each([1, 2, 5])('keeps at most %i messages in flight and sends them in order', async (maxInFlight) => {
    const mqtt = createFakeMqtt();
    mqtt.autoAck = false;
    const clock = createManualClock();
    const c = counters();
    const p = createPublisher({ mqtt, clock }, { maxBufferedMessages: 100, maxInFlight, retryDelayMs: 1000 }, c);
    p.handleConnected();
    for (let i = 0; i < 6; i++) p.enqueue('t', bytes(i));
    expect(c.inFlight).toBe(Math.min(6, maxInFlight));
    while (c.acknowledged < 6) {
      mqtt.published.find((m, i) => i >= c.acknowledged)!.ack();
      await flush(1);
    }
    expect(mqtt.published.map((m) => m.payload[0])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(c).toMatchObject({ sent: 6, acknowledged: 6, buffered: 0, inFlight: 0 });
  });

  it('waits retryDelayMs after a refused publish on a live connection instead of spinning', async () => {
    const mqtt = createFakeMqtt();
    mqtt.autoAck = false;
    const clock = createManualClock();
    const c = counters();
    const p = createPublisher({ mqtt, clock }, { maxBufferedMessages: 10, maxInFlight: 1, retryDelayMs: 2_000 }, c);
    p.handleConnected();
    p.enqueue('t', bytes(7));
    mqtt.published[0]!.fail(new Error('not authorized'));
    await flush();
    expect(c).toMatchObject({ errors: 1, buffered: 1, sent: 1 });
    await clock.advance(1_999);
    expect(c.sent).toBe(1);
    await clock.advance(1);
    expect(c.sent).toBe(2);
    mqtt.published[1]!.ack();
    await flush();
    expect(c).toMatchObject({ acknowledged: 1, buffered: 0 });
  });

  it('drain resolves false when the timeout passes first and true once idle', async () => {
    const mqtt = createFakeMqtt();
    const clock = createManualClock();
    const c = counters();
    const p = createPublisher({ mqtt, clock }, { maxBufferedMessages: 10, maxInFlight: 1, retryDelayMs: 1000 }, c);
    p.enqueue('t', bytes(1));
    const late = p.drain(5_000);
    await clock.advance(5_000);
    expect(await late).toBe(false);
    const done = p.drain(5_000);
    p.handleConnected();
    await flush();
    expect(await done).toBe(true);
  });
});
