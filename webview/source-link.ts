// Where "open source" goes from the dashboard page: a vscode://file link to a file on this machine,
// or nothing. A Lua frame names its chunk relative to the app's folder; JavaScript frames name
// absolute paths. Node's internals (node:net) and Moonscope's own bundle (server-core/worker.js)
// are not files of the workspace, so they get no link rather than one to a file that is not there.
import type { Frame } from "../profile/frames";

export function sourceHref(frame: Frame, appFile: string | undefined): string | null {
  if (!frame.file) return null;
  let file = frame.file.replace(/^file:\/\//, "");
  if (/^[a-z][a-z0-9+.-]*:(?![\\/])/i.test(file) && !/^[A-Za-z]:[\\/]/.test(file)) return null; // node:net, wasm://…
  const absolute = file.startsWith("/") || /^[A-Za-z]:[\\/]/.test(file);
  if (!absolute) {
    if (!file.endsWith(".lua") || !appFile) return null;
    file = appFile.replace(/[^/\\]*$/, "") + file;
  }
  return `vscode://file${encodeURI(file.startsWith("/") ? file : `/${file}`)}${frame.line ? `:${frame.line}` : ""}`;
}
