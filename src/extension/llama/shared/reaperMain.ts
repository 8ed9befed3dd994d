// The reaper as a program (dist/reaper.js): `node reaper.js DIR ID TOKEN PID TICK_MS`, started detached by
// the window that launched a shared server, so the idle stop happens after that window has closed.
import { currentLauncherHost } from '../processLauncher';
import { runReaper } from './reaper';
import { sharedPaths } from './sharedState';

const [dir, id, token, pid, tick] = process.argv.slice(2);
if (dir && id && token && pid && tick) {
  void runReaper({ paths: sharedPaths(dir, id), token, pid: Number(pid), tickMs: Number(tick), host: currentLauncherHost() }).then(
    () => process.exit(0),
    () => process.exit(1),
  );
} else {
  process.stderr.write('usage: reaper DIR ID TOKEN PID TICK_MS\n');
  process.exit(2);
}
