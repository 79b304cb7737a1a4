// A run's rounds as comparisons read them: the stored rounds, or, for a run from before rounds
// were stored, the run itself as its one round.
import { STAGE_NAMES, type RoundStats, type RunFile, type StageName } from "./run";

export function roundsOf(run: RunFile): RoundStats[] {
  if (run.rounds && run.rounds.length > 0) return run.rounds;
  const stage = (f: (r: RunFile["server"]["stages"][number]) => number) =>
    Object.fromEntries(STAGE_NAMES.map((s) => [s, f(run.server.stages.find((r) => r.stage === s) ?? { stage: s, p50Us: 0, p99Us: 0, meanUs: 0, share: 0, priority: "LOW" })])) as Record<StageName, number>;
  const cpuMs = run.workers.reduce((a, w) => a + (w.cpuPercent / 100) * run.session.windowMs, 0);
  return [
    {
      startMs: 0,
      windowMs: run.session.windowMs,
      requests: run.client.requests,
      rps: run.client.rps,
      latencyUs: run.client.latencyUs,
      errors: run.client.errors,
      generatorCpuPercent: run.client.cpuPercent,
      server: { meanUs: run.server.latencyUs.mean, p50Us: run.server.latencyUs.p50, p99Us: run.server.latencyUs.p99 },
      stageMeanUs: stage((r) => r.meanUs),
      stageP99Us: stage((r) => r.p99Us),
      cpuUsPerRequest: run.server.requests > 0 ? (cpuMs * 1000) / run.server.requests : 0,
    },
  ];
}
