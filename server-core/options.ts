// What a server is told: the settings every worker runs with (WorkerSettings), and what the master
// adds to them for `moonscope serve` (ServeOptions) and each worker for itself (WorkerOptions).

/** Serve options an app written for Rover can set in rover.server {...} (host, port, body_size_limit). */
export type AppSettable = "host" | "port" | "maxBodyBytes";

export interface WorkerSettings {
  /** The app file (absolute in a worker). */
  appFile: string;
  host: string;
  port: number;
  stages: boolean;
  /** Answer GET /__moonscope/stats (aggregated over workers through the master). */
  statsEndpoint: boolean;
  /** Answer GET on metricsPath with Prometheus metrics (merged over workers by the master; server-core/metrics.ts). */
  metrics: boolean;
  metricsPath: string;
  handlerTimeoutMs: number;
  memoryLimitBytes: number;
  /** A request whose bytes are still arriving after this long gets 408 and a close (slowloris). */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxBodyBytes: number;
  allow: { io?: boolean; os?: boolean };
  /** --lua-path: package.path templates searched after the app's folder. */
  luaPath?: string;
  /** Options given on the command line: an app's rover.server {...} may set the others. */
  explicit: AppSettable[];
}

export interface ServeOptions extends WorkerSettings {
  workers: number;
  /** Grace period for in-flight requests at shutdown. */
  shutdownGraceMs: number;
}

export interface WorkerOptions extends WorkerSettings {
  worker: number;
  /** The app file's chunk name ("app.lua"). */
  chunkName: string;
}
