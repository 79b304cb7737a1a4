// Servers the benchmark compares, each started as a real process group and stopped with nothing left behind.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";

export const ROOT = path.resolve(__dirname, "..");

export interface Target {
  name: string;
  label: string;
  /** Command and args; must print a line from which the port can be read. */
  command: string[];
  portPattern: RegExp;
}

export interface Started {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startTarget(t: Target, port: number): Promise<Started> {
  const [cmd, ...args] = t.command.map((a) => a.replace("{port}", String(port)));
  const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PORT: String(port) } });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const found = await new Promise<number>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on("line", (line) => {
      const m = t.portPattern.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`${t.name} exited (${code}) before listening: ${stderr}`)));
  });
  child.stdout!.resume();
  return {
    port: found,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            /* gone */
          }
        }, 5000);
        child.on("exit", () => {
          clearTimeout(timer);
          // Make sure no worker of the group survives its master.
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            /* gone */
          }
          resolve();
        });
        process.kill(-child.pid!, "SIGTERM");
      }),
  };
}
