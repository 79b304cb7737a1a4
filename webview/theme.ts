// The standalone dashboard has no VS Code to theme it: it follows the system's light/dark setting,
// and a toggle (remembered) switches between them. Inside VS Code the body classes come from VS Code.
import { h } from "./dom";

const KEY = "moonscope.theme";

/** Sets the theme from the system or the last choice, and returns the toggle button for the header. */
export function installThemeToggle(): HTMLElement {
  document.documentElement.dataset.standalone = "true";
  const stored = localStorage.getItem(KEY);
  const fromQuery = new URLSearchParams(location.search).get("theme");
  const initial = fromQuery ?? stored ?? (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  apply(initial === "dark" ? "dark" : "light");
  const button = h("button", { type: "button", className: "ms-theme-toggle", "data-testid": "theme-toggle", title: "Switch between light and dark" }, "Light / dark");
  button.addEventListener("click", () => {
    const next = document.body.classList.contains("vscode-dark") ? "light" : "dark";
    localStorage.setItem(KEY, next);
    apply(next);
  });
  return button;
}

function apply(theme: "light" | "dark"): void {
  document.body.classList.toggle("vscode-dark", theme === "dark");
  document.body.classList.toggle("vscode-light", theme === "light");
  document.body.dataset.vscodeThemeKind = theme === "dark" ? "vscode-dark" : "vscode-light";
}
