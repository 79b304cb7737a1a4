// Every process a session starts runs in its own process group, so one SIGKILL ends it and
// everything it started (workers, profilers, their helpers).
export function killProcessGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}
