/**
 * What the panel may open and show from the file system (issue #17, security). A result file opens without
 * workspace trust, and everything in it (the dataset root, image paths, the model path) is data an attacker
 * could write; a webview message is data too. So:
 *
 * - The dataset root named by a result becomes a resource root of the webview (its images load in the panel)
 *   only when it is a specific folder: not a file system root, not the home folder or a folder above it; and,
 *   in an untrusted workspace, only when it lies inside a workspace folder.
 * - `openImage` / `openFile` open a path only when it lies inside that dataset root or a workspace folder, or
 *   is one of the files the host itself put in the panel's view (the result file, the model, the paused source
 *   file of Explain Batch). Anything else is refused with a message saying so.
 *
 * Paths are compared by their real paths, so a symbolic link inside an allowed folder does not lead out of it.
 * No vscode import: the checks are unit-tested (test/unit/extension/access.test.ts).
 */
import { realpathSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface AccessContext {
  trusted: boolean;
  workspaceFolders: readonly string[];
  /** The user's home folder (default os.homedir()). */
  home?: string;
}

function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

/** Whether `file` is `folder` or lies under it (real paths). */
export function isInside(file: string, folder: string): boolean {
  const rel = path.relative(real(folder), real(file));
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * The dataset root the panel may serve images from, or why not. `root` is the existing absolute folder the host
 * resolved from the result (results/library.ts datasetRootOf).
 */
export function servableRoot(root: string | undefined, ctx: AccessContext): { root?: string; why?: string } {
  if (!root) return {};
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    // below
  }
  if (!path.isAbsolute(root) || !isDir) return { why: `the dataset folder ${root} was not found` };
  const r = real(root);
  const home = real(ctx.home ?? os.homedir());
  if (path.parse(r).root === r)
    return { why: `the dataset folder of this result is ${r}, a whole file system; NeurFlow shows images only from a dataset's own folder` };
  if (isInside(home, r))
    return { why: `the dataset folder of this result is ${r}, which holds your home folder; NeurFlow shows images only from a dataset's own folder` };
  if (!ctx.trusted && !ctx.workspaceFolders.some((w) => isInside(r, w))) {
    return { why: `the dataset folder ${r} is outside the workspace, and the workspace is not trusted` };
  }
  return { root: r };
}

/**
 * Why `file` may not be opened from the panel, or undefined when it may: inside one of `folders` (the servable
 * dataset root, the workspace folders) or one of `files` (put in the view by the host).
 */
export function openRefusal(file: string, folders: readonly (string | undefined)[], files: readonly (string | undefined)[]): string | undefined {
  if (!path.isAbsolute(file) || file.includes('\u0000'))
    return `NeurFlow opens only files inside the dataset folder or the workspace; ${JSON.stringify(file)} is not an absolute path`;
  const target = real(file);
  if (files.some((f) => f !== undefined && real(f) === target)) return undefined;
  if (folders.some((d) => d !== undefined && isInside(target, d))) return undefined;
  const shown = folders.filter((d): d is string => d !== undefined);
  return `NeurFlow opens only files inside the dataset folder or the workspace${shown.length > 0 ? ` (${shown.join(', ')})` : ''}; ${file} is outside them`;
}
