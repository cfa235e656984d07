// Shares: the server's named folders (Movies, Music…) for apps.
import type { OwnershipFixed, ShareInfo, SmbStatus } from "../bindings";

/** What a share's row says of its folder. */
export function shareState(s: ShareInfo): string {
  if (!s.present) return "Not there now (a drive that is not plugged in?)";
  return s.madeByBerth ? "Made by Berth" : "A folder of this server";
}

/** What is wrong with a new share's name and folder before it is sent; null when it can be sent. */
export function shareProblem(name: string, path: string): string | null {
  const n = name.trim();
  if (!n) return "Give the share a name, like Movies.";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(n)) return "A share's name is letters, digits, ., - and _ (no spaces), starting with a letter or digit.";
  const p = path.trim();
  if (p && !p.startsWith("/")) return "The folder is a full path on the server, starting with /.";
  return null;
}

/** The sentence after a share is added. */
export function shareAdded(s: ShareInfo): string {
  return `${s.name} is added: ${s.path}.`;
}

/** What the apps cannot do with a share's files, as a warning; null when they can use it all (or it is not there). */
export function accessProblem(s: ShareInfo): string | null {
  const a = s.access;
  if (!a) return null;
  const ids = `${a.uid}:${a.gid}`;
  const folder = `The folder belongs to ${a.owner}:${a.group} (mode ${a.mode.toString(8)})`;
  if (!a.readable) return `Apps (user ${ids}) cannot open this folder. ${folder}.`;
  if (!a.writable) return `Apps (user ${ids}) can read this folder but not add files to it. ${folder}.`;
  if (a.problems > 0) {
    const of = a.complete ? `${a.sampled}` : `the first ${a.sampled}`;
    return `Apps (user ${ids}) cannot read or change ${a.problems} of ${of} files and folders in it.`;
  }
  return null;
}

/** Exactly what "Fix ownership" changes, for its confirmation. */
export function fixOwnershipChange(s: ShareInfo): string {
  const ids = s.access ? `user ${s.access.uid} and group ${s.access.gid}` : "the apps' user and group";
  return `Every file and folder in ${s.path} will belong to ${ids}, the ids apps run as. Permissions (modes) are not changed. Links are changed themselves and never followed, and other disks mounted inside the folder are left alone.`;
}

/** The sentence after the owners were changed. */
export function ownershipFixed(f: OwnershipFixed): string {
  const others = (f.otherFilesystems ?? 0) > 0 ? `; ${f.otherFilesystems} folders on other disks were left alone` : "";
  return `${f.share.name}: ${f.changed} of ${f.seen} files and folders now belong to the apps${others}.`;
}

/** The server's name for SMB addresses: the one this page was reached by, unless that is this machine only. */
export function smbServer(status: SmbStatus, pageHost: string): string {
  const local = !pageHost || pageHost === "localhost" || pageHost === "tauri.localhost" || pageHost.startsWith("127.") || pageHost === "[::1]";
  return local ? status.server : pageHost;
}

/** What to type to open a share: in Windows' Explorer, and on a Mac or Linux (with the port when it is not 445). */
export function smbAddresses(server: string, port: number, name: string): { windows: string; url: string } {
  const withPort = port === 445 ? server : `${server}:${port}`;
  return { windows: `\\\\${server}\\${name}`, url: `smb://${withPort}/${name}` };
}

/** SMB sharing's state in words. */
export function smbState(s: SmbStatus): string {
  if (!s.enabled) return "Off";
  if (!s.running) return s.problem ? `On, but not running: ${s.problem}` : "On, starting…";
  return s.port === 445 ? "On" : `On (port ${s.port})`;
}

/** What is wrong with an SMB password before it is sent; null when it can be sent (empty is fine once one is set). */
export function smbPasswordProblem(password: string, again: string, passwordSet: boolean): string | null {
  if (!password && passwordSet) return null;
  if (password.length < 8) return "The SMB password needs at least 8 characters.";
  if (password !== again) return "The two passwords differ.";
  return null;
}

/** Why SMB cannot open a share it offers (Samba enters the folder as the apps' user), or null. */
export function smbProblem(s: ShareInfo): string | null {
  if (s.smb === "none" || !s.access || s.access.reachable) return null;
  return `A folder above ${s.path} is closed to user ${s.access.uid}, so the network cannot open this share; move it, or let that user through the folders above it.`;
}
