/*
 * Host functions of the zenthos-native module (see zenthos-native-host.c and
 * firmware/types/moddable/zenthos-native.d.ts).
 */
export function runningState() @ "xs_zenthos_running_state";
export function markValid() @ "xs_zenthos_mark_valid";
export function rollbackAndReboot() @ "xs_zenthos_rollback_and_reboot";
export function restart() @ "xs_zenthos_restart";
export function randomBytes(count) @ "xs_zenthos_random_bytes";
export function freeHeap() @ "xs_zenthos_free_heap";
