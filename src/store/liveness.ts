/**
 * Whether a process of this host is still running: the one question a stale lease asks.
 * Signal 0 checks existence without delivering anything; EPERM means it exists but
 * belongs to another user, so only ESRCH proves it gone.
 */
export function processIsAlive(pid: number): boolean {
  // kill(0) or a negative pid would address a whole process group, never one holder.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export type ProcessIsAlive = (pid: number) => boolean;
