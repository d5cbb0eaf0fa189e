import { execFileSync } from 'node:child_process';

/** Whether the Mosquitto command-line clients are installed (the MQTT tests skip without them). */
export const hasMosquitto = (() => {
  try {
    execFileSync('mosquitto_pub', ['--help'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // mosquitto_pub --help exits 1 but runs: only a missing binary is a reason to skip
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();
