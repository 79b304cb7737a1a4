// Where the panel runs: inside VS Code (a webview talking to the extension by postMessage) or in a
// browser as the daemon's standalone dashboard (WebSocket + the read-only HTTP API). The rest of the
// panel sees only this interface, so one bundle serves both.
import type { Frame } from "../profile/frames";
import { EXPORT_FORMATS } from "../profile/exports";
import { sourceHref } from "./source-link";
import type { Handlers } from "../protocol/dispatch";
import type { ExportFormat, FromPanel, PanelMethod, PanelRequests, PanelView, ToPanel } from "../protocol/panel";
import type { FromClient, Reply, StreamMethod, StreamRequests, ToClient } from "../protocol/ws";

export interface Host {
  readonly kind: "vscode" | "browser";
  /** Starts delivering messages to fn. */
  connect(fn: (m: ToPanel) => void): void;
  request<M extends PanelMethod>(method: M, params: PanelRequests[M]["params"]): Promise<PanelRequests[M]["result"]>;
  /** Where "open source" takes a frame (a link or a path), or null when it has no source to open. */
  sourceOf(frame: Frame, appFile: string | undefined): string | null;
  openSource(frame: Frame, appFile: string | undefined): void;
  exportRun(id: string, format: ExportFormat): void;
  saveView(view: PanelView): void;
  savedView(): PanelView | null;
}

export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface VsCodeApi {
  postMessage(m: FromPanel): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export function detectHost(): Host {
  return typeof acquireVsCodeApi === "function" ? new VsCodeHost(acquireVsCodeApi()) : new BrowserHost();
}

class VsCodeHost implements Host {
  readonly kind = "vscode" as const;
  private next = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  constructor(private readonly api: VsCodeApi) {}

  connect(fn: (m: ToPanel) => void): void {
    window.addEventListener("message", (e: MessageEvent<ToPanel>) => {
      const m = e.data;
      if (m.type === "reply") {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.error) w.reject(new HostError(m.error.code, m.error.message));
        else w.resolve(m.result);
        return;
      }
      fn(m);
    });
    this.api.postMessage({ type: "ready" });
  }

  request<M extends PanelMethod>(method: M, params: PanelRequests[M]["params"]): Promise<PanelRequests[M]["result"]> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.api.postMessage({ type: "request", id, method, params });
    });
  }

  sourceOf(frame: Frame): string | null {
    // The extension finds the file (next to the app, or in Moonscope's sources); Node's internals have none.
    return frame.file && !frame.file.startsWith("node:") ? frame.file : null;
  }

  openSource(frame: Frame, appFile: string | undefined): void {
    if (this.sourceOf(frame)) this.api.postMessage({ type: "openSource", file: frame.file!, line: frame.line, appFile });
  }

  exportRun(id: string, format: ExportFormat): void {
    this.api.postMessage({ type: "export", id, format });
  }

  saveView(view: PanelView): void {
    this.api.setState({ view });
  }

  savedView(): PanelView | null {
    return ((this.api.getState() as { view?: PanelView } | undefined)?.view as PanelView) ?? null;
  }
}

class BrowserHost implements Host {
  readonly kind = "browser" as const;
  private readonly token = new URLSearchParams(location.search).get("token") ?? "";
  private socket: WebSocket | null = null;
  private retryMs = 250;
  private next = 1;
  private opened!: Promise<void>;
  private markOpen: () => void = () => {};
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  connect(fn: (m: ToPanel) => void): void {
    if (!this.token) {
      fn({ type: "notice", level: "error", message: "This page needs the token the daemon printed: open the whole URL from `moonscope dashboard` (…/?token=…)." });
      return;
    }
    this.opened = new Promise((r) => (this.markOpen = r));
    const open = () => {
      const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?token=${encodeURIComponent(this.token)}`);
      this.socket = ws;
      ws.onopen = () => {
        this.retryMs = 250;
        this.markOpen();
      };
      ws.onmessage = (e) => {
        let m: ToClient | Reply;
        try {
          m = JSON.parse(String(e.data)) as ToClient | Reply;
        } catch {
          return;
        }
        if (m.type === "reply") {
          const r = m as Extract<Reply, { type: "reply" }>;
          const w = this.waiting.get(r.id);
          this.waiting.delete(r.id);
          if (r.error) w?.reject(new HostError(r.error.code, r.error.message));
          else w?.resolve(r.result);
          return;
        }
        if (m.type === "pong" || m.type === "runs") return;
        fn({ type: "stream", message: m as ToClient });
      };
      ws.onclose = () => {
        for (const w of this.waiting.values()) w.reject(new HostError("MS_ERR_DISCONNECTED", "the connection to the daemon closed before it answered"));
        this.waiting.clear();
        fn({ type: "notice", level: "error", message: `Lost the connection to the Moonscope daemon; retrying in ${(this.retryMs / 1000).toFixed(1)} s. If it stopped, start it again (moonscope dashboard) and reload with the new URL.` });
        setTimeout(open, this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 8000);
      };
    };
    open();
  }

  private async get(path: string): Promise<unknown> {
    const url = `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(this.token)}`;
    const res = await fetch(url);
    const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
    if (!res.ok) throw new HostError(body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? `the daemon answered ${res.status}`);
    return body;
  }

  /** Stored runs come from the daemon's read-only HTTP API, everything else over the socket. */
  private readonly handlers: Handlers<PanelRequests> = {
    listRuns: () => this.get("/api/runs") as Promise<PanelRequests["listRuns"]["result"]>,
    getRun: async (p) => ({ run: (await this.get(`/api/runs/${encodeURIComponent(p.id)}/run.json`)) as PanelRequests["getRun"]["result"]["run"] }),
    listRoutes: (p) => this.ask("listRoutes", p),
    startProfile: (p) => this.ask("startProfile", p),
    stopProfile: (p) => this.ask("stopProfile", p),
    startCompare: (p) => this.ask("startCompare", p),
  };

  async request<M extends PanelMethod>(method: M, params: PanelRequests[M]["params"]): Promise<PanelRequests[M]["result"]> {
    return (this.handlers[method] as (p: PanelRequests[M]["params"]) => Promise<PanelRequests[M]["result"]>)(params);
  }

  /** A request over the socket, answered by the reply with its id. */
  private async ask<M extends StreamMethod>(method: M, params: StreamRequests[M]["params"]): Promise<StreamRequests[M]["result"]> {
    await Promise.race([this.opened, new Promise((r) => setTimeout(r, 5000))]);
    const ws = this.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new HostError("MS_ERR_DISCONNECTED", "not connected to the Moonscope daemon yet; wait a moment or reload the page");
    const id = this.next++;
    const msg: FromClient = { type: "request", id, method, params };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify(msg));
    });
  }

  sourceOf(frame: Frame, appFile: string | undefined): string | null {
    return sourceHref(frame, appFile);
  }

  openSource(frame: Frame, appFile: string | undefined): void {
    // A vscode:// link opens the file in the desktop editor when it is installed.
    const href = sourceHref(frame, appFile);
    if (href) location.href = href;
  }

  exportRun(id: string, format: ExportFormat): void {
    const a = document.createElement("a");
    const file = EXPORT_FORMATS[format].file;
    a.href = `/api/runs/${encodeURIComponent(id)}/${file}?token=${encodeURIComponent(this.token)}`;
    a.download = `${id}-${file}`;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  saveView(view: PanelView): void {
    history.replaceState(null, "", `?token=${encodeURIComponent(this.token)}#${encodeURIComponent(JSON.stringify(view))}`);
  }

  savedView(): PanelView | null {
    try {
      return location.hash ? (JSON.parse(decodeURIComponent(location.hash.slice(1))) as PanelView) : null;
    } catch {
      return null;
    }
  }
}
