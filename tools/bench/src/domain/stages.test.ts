import { stageBreakdown, type MessageTimes } from './stages';

describe('stageBreakdown', () => {
  it('measures each leg between the points a message was seen at', () => {
    const times: MessageTimes[] = [
      { publishMs: 1000, bridgeMs: 1010, processedMs: 1050, visibleMs: 1080, rowMs: 1200 },
      { publishMs: 2000, bridgeMs: 2020, processedMs: 2100, visibleMs: 2130, rowMs: 2230 },
    ];
    const s = stageBreakdown(times);
    expect(s.publishToBridge).toMatchObject({ count: 2, minMs: 10, maxMs: 20 });
    expect(s.bridgeToProcessed).toMatchObject({ count: 2, minMs: 40, maxMs: 80 });
    expect(s.processedToVisible).toMatchObject({ count: 2, minMs: 30, maxMs: 30 });
    expect(s.visibleToRow).toMatchObject({ count: 2, minMs: 100, maxMs: 120 });
  });

  it('leaves out messages not seen at one end of a leg, and answers null for a leg nobody crossed', () => {
    const s = stageBreakdown([
      { publishMs: 0, bridgeMs: 5, processedMs: 9 },
      { publishMs: 0, bridgeMs: 7 },
    ]);
    expect(s.publishToBridge?.count).toBe(2);
    expect(s.bridgeToProcessed?.count).toBe(1);
    expect(s.processedToVisible).toBeNull();
    expect(s.visibleToRow).toBeNull();
  });
});
