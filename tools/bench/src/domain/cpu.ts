/**
 * CPU milliseconds per message, to the microsecond: `cpuSeconds` (utime + stime over the run)
 * spread over `messages`; 0 without messages. CPU time per message holds steadier than rates on
 * a shared machine: a process that waits for a core spends no CPU time meanwhile.
 */
export const cpuMsPerMessage = (cpuSeconds: number, messages: number): number =>
  messages > 0 ? Math.round((cpuSeconds * 1000 * 1000) / messages) / 1000 : 0;

/**
 * CPU milliseconds per message of several processes together, from their summed CPU seconds
 * (not from their rounded per-message figures, whose rounding would add up).
 */
export const totalCpuMsPerMessage = (usages: Iterable<{ readonly cpuSeconds: number }>, messages: number): number => {
  let cpuSeconds = 0;
  for (const u of usages) cpuSeconds += u.cpuSeconds;
  return cpuMsPerMessage(cpuSeconds, messages);
};
