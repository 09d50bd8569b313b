// Moddable SDK `time` and `timer` modules.
declare module 'time' {
  const Time: {
    /** Sets the wall clock, in epoch seconds (Date.now() follows). */
    set(seconds: number): void;
    /** Milliseconds since boot (monotonic). */
    readonly ticks: number;
  };
  export default Time;
}

declare module 'timer' {
  export type TimerHandle = object;
  const Timer: {
    set(callback: () => void, delayMs?: number): TimerHandle;
    repeat(callback: () => void, intervalMs: number): TimerHandle;
    clear(timer: TimerHandle | undefined): void;
  };
  export default Timer;
}
