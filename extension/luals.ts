// Moonscope's Lua definitions (library/) for the Lua language server: offered once per workspace when
// the Lua extension (sumneko.lua, LuaLS) is installed, through its `Lua.workspace.library` setting;
// without it, the command writes a .luarc.json instead, which LuaLS reads in any editor.
import * as path from "node:path";
import * as vscode from "vscode";
import { LUA_LIBRARY_DIR, mergeLuarc, namesLibrary, withLibrary } from "../protocol/lua-library";
import type { Ctx } from "./ctx";

const LUA_EXTENSION = "sumneko.lua";
/** globalState: the user said "Don't Ask Again". */
const DONT_ASK = "moonscope.luaDefinitions.dontAsk";
/** workspaceState: asked in this workspace already (one offer per workspace, whatever the answer). */
const ASKED = "moonscope.luaDefinitions.asked";

function libraryFolder(ctx: Ctx): string {
  return ctx.extension.asAbsolutePath(LUA_LIBRARY_DIR);
}

/** On activation: the offer, unless declined for good, made in this workspace already, or not needed. */
export async function offerLuaDefinitions(ctx: Ctx): Promise<void> {
  if (!vscode.extensions.getExtension(LUA_EXTENSION)) return;
  if (ctx.extension.globalState.get<boolean>(DONT_ASK) || ctx.extension.workspaceState.get<boolean>(ASKED)) return;
  const library = vscode.workspace.getConfiguration("Lua").get<unknown[]>("workspace.library", []);
  if (namesLibrary(library, libraryFolder(ctx))) return;
  await ctx.extension.workspaceState.update(ASKED, true);
  const add = "Add Definitions";
  const never = "Don't Ask Again";
  const pick = await vscode.window.showInformationMessage("Moonscope: add its Lua definitions (api, ctx, rover, cjson) to the Lua language server? Handlers get completion and hover, and no \"undefined global api\" warnings.", add, never);
  if (pick === add) await addLuaDefinitions(ctx);
  else if (pick === never) await ctx.extension.globalState.update(DONT_ASK, true);
}

/** The command: the Lua extension's workspace setting, or a .luarc.json when it is not installed. */
export async function addLuaDefinitions(ctx: Ctx): Promise<void> {
  const folder = libraryFolder(ctx);
  if (vscode.extensions.getExtension(LUA_EXTENSION)) {
    const config = vscode.workspace.getConfiguration("Lua");
    const library = withLibrary(config.get<unknown[]>("workspace.library", []) ?? [], folder);
    if (library) await config.update("workspace.library", library, vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
    ctx.output.info(`Lua.workspace.library names ${folder}`);
    void vscode.window.showInformationMessage("Moonscope: the Lua language server now reads Moonscope's definitions (Lua.workspace.library).");
    return;
  }
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!root || root.scheme !== "file") {
    void vscode.window.showErrorMessage("Moonscope: open a folder first: the definitions are named in its .luarc.json.");
    return;
  }
  const file = vscode.Uri.file(path.join(root.fsPath, ".luarc.json"));
  let existing: string | null = null;
  try {
    existing = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
  } catch {
    existing = null;
  }
  try {
    const { text, changed } = mergeLuarc(existing, folder, vscode.workspace.asRelativePath(file));
    if (changed) await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(text));
    ctx.output.info(`${file.fsPath} names ${folder}`);
    void vscode.window.showInformationMessage(`Moonscope: .luarc.json names Moonscope's Lua definitions; the Lua language server (the ${LUA_EXTENSION} extension, or LuaLS in another editor) reads them from there.`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    void vscode.window.showErrorMessage(`Moonscope: ${code ? `${code}: ` : ""}${(e as Error).message}`);
  }
}
