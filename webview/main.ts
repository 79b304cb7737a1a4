// Entry of the panel bundle (dist/webview/panel.js), in VS Code's webview and on the dashboard page.
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-tabs/index.js";
import "@vscode-elements/elements/dist/vscode-tab-header/index.js";
import "@vscode-elements/elements/dist/vscode-tab-panel/index.js";
import { App } from "./app";
import { detectHost } from "./host";
import { installThemeToggle } from "./theme";

const host = detectHost();
const toggle = host.kind === "browser" ? installThemeToggle() : null;
const app = new App(host);
if (toggle) app.addHeaderControl(toggle);
document.body.appendChild(app.el);
app.start();
