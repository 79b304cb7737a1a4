// Document URIs as files on this machine.
import { fileURLToPath } from "node:url";

/**
 * The file a document URI names on this machine, or null: an unsaved buffer (untitled:), another
 * scheme, or a file: URI with a host (file://server/share/app.lua) has no path here.
 */
export function filePathOf(uri: string): string | null {
  if (!uri.startsWith("file:")) return null;
  try {
    return fileURLToPath(uri);
  } catch {
    return null;
  }
}
