// The dashboard's start options (Options under the profile bar): the load (workers, connections,
// rate, warm-up; PROFILE_DEFAULTS fill them in; who sends it) and the request (query string, headers, body), read
// into a startProfile's options as `moonscope profile` takes them. In VS Code the settings say.
import { AUTO_WORKERS_TEXT, LOAD_CHOICES, NUMERIC_PROFILE_OPTIONS, PROFILE_DEFAULTS, type LoadChoice, type ProfileOptions } from "../protocol/types";
import { h } from "./dom";

type NumericOption = (typeof NUMERIC_PROFILE_OPTIONS)[number];

/** How each number reads in the form: its label, unit (ms shown as seconds) and range. */
const FIELDS: Record<Exclude<NumericOption, "durationMs">, { label: string; seconds?: true; max: number; hint: string }> = {
  workers: { label: "Workers", max: 256, hint: `0: ${AUTO_WORKERS_TEXT}` },
  connections: { label: "Connections", max: 10_000, hint: "closed loop: requests in flight" },
  rate: { label: "Rate (req/s)", max: 10_000_000, hint: "0: closed loop; otherwise a fixed rate from Moonscope's open-loop generator" },
  warmupMs: { label: "Warm-up (s)", seconds: true, max: 600, hint: "load before measuring, not recorded" },
};

/** Who sends the requests, in words; "auto" leaves it to the daemon (wrk when installed). */
const LOAD_LABELS: Record<"auto" | LoadChoice, string> = {
  auto: "Moonscope's (wrk, else autocannon)",
  wrk: "wrk",
  autocannon: "autocannon",
  external: "from elsewhere (a URL to send it to)",
};

export class StartOptionsForm {
  readonly el: HTMLElement;
  private readonly numbers = new Map<keyof typeof FIELDS, HTMLInputElement>();
  private readonly query = h("input", { type: "text", className: "ms-input", placeholder: "n=10&sort=name", "aria-label": "Query string", "data-testid": "opt-query" }) as HTMLInputElement;
  private readonly headers = h("textarea", { className: "ms-input", rows: 2, placeholder: "Name: value, one a line", "aria-label": "Headers", "data-testid": "opt-headers" }) as HTMLTextAreaElement;
  private readonly load = h(
    "select",
    { className: "ms-input", "aria-label": "Load", "data-testid": "opt-load", title: "From elsewhere: the app waits at a URL shown above and measures whatever arrives there (k6, Locust, wrk2 on another machine, real traffic)" },
    ...(["auto", ...LOAD_CHOICES] as const).map((v) => h("option", { value: v }, LOAD_LABELS[v])),
  ) as HTMLSelectElement;
  private readonly body = h("textarea", { className: "ms-input", rows: 2, placeholder: "request body (POST, PUT)", "aria-label": "Body", "data-testid": "opt-body" }) as HTMLTextAreaElement;

  constructor() {
    const fields = (Object.keys(FIELDS) as (keyof typeof FIELDS)[]).map((k) => {
      const f = FIELDS[k];
      const d = PROFILE_DEFAULTS[k];
      const input = h("input", { type: "number", min: 0, max: f.max, step: f.seconds ? 0.5 : 1, value: f.seconds ? d / 1000 : d, className: "ms-input ms-narrow", "data-testid": `opt-${k}`, title: f.hint }) as HTMLInputElement;
      this.numbers.set(k, input);
      return h("label", { className: "ms-field" }, f.label, input);
    });
    this.el = h(
      "details",
      { className: "ms-options", "data-testid": "start-options" },
      h("summary", {}, "Options"),
      h("div", { className: "ms-row" }, ...fields, h("label", { className: "ms-field" }, "Load", this.load)),
      h("div", { className: "ms-row" }, h("label", { className: "ms-field" }, "Query string", this.query), h("label", { className: "ms-field" }, "Headers", this.headers), h("label", { className: "ms-field" }, "Body", this.body)),
    );
  }

  /** The options as typed, or what is wrong with them (said so the user can fix it). */
  read(): { options: ProfileOptions; query: string } | { error: string } {
    const options: ProfileOptions = {};
    for (const [k, input] of this.numbers) {
      const f = FIELDS[k];
      const v = input.value.trim() === "" ? PROFILE_DEFAULTS[k] / (f.seconds ? 1000 : 1) : Number(input.value);
      if (!Number.isFinite(v) || v < 0 || v > f.max || (!f.seconds && !Number.isInteger(v))) return { error: `${f.label} takes ${f.seconds ? "seconds" : "a whole number"} from 0 to ${f.max}; got "${input.value}".` };
      options[k] = f.seconds ? Math.round(v * 1000) : v;
    }
    const load = this.load.value;
    if (load !== "auto") options.load = load as LoadChoice;
    if (load === "external" && options.rate) return { error: "A fixed Rate needs Moonscope's own generator; with load from elsewhere, the sender sets the rate." };
    if (options.connections === 0 && !options.rate && load !== "external") return { error: "Connections must be at least 1 for a closed loop (or set a Rate)." };
    const headers: Record<string, string> = {};
    for (const line of this.headers.value.split("\n")) {
      if (!line.trim()) continue;
      const i = line.indexOf(":");
      if (i <= 0) return { error: `Headers take "Name: value", one a line; got "${line.trim()}".` };
      headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    if (Object.keys(headers).length) options.headers = headers;
    if (this.body.value) options.body = this.body.value;
    const query = this.query.value.trim().replace(/^\?/, "");
    if (/\s/.test(query)) return { error: `The query string cannot hold spaces (encode them as %20); got "${query}".` };
    return { options, query };
  }
}
