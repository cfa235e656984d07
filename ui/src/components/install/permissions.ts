// What an app may ask of the server, in words: shared by the app's page and
// the install dialog's consent.
const PERMISSION_TEXT: Record<string, string> = {
  privileged: "Full access to the server (privileged mode)",
  capability: "Extra Linux capabilities",
  device: "Access to devices of the server (e.g. a graphics card or USB stick)",
  host_network: "The server's own network (not an isolated one)",
  host_pid: "The server's process list",
  host_ipc: "The server's shared memory",
  host_uts: "The server's host name",
  host_user_namespace: "The server's user namespace",
  host_cgroup: "The server's control groups",
  docker_socket: "The Docker engine itself (it could control every container)",
  system_path: "System folders of the server",
  bind_outside_app: "Folders outside its own data folder",
  berth_files: "Berth's own files or another app's folder",
  host_file: "Files of the server read into the app",
  other_app: "Containers, volumes or networks of other apps",
  sysctl: "Kernel settings",
  unconfined: "A changed security profile (AppArmor, seccomp or SELinux)",
};

/** A permission the daemon names (`host_network`) in words; the name itself when it is a new one. */
export const permissionText = (p: string) => PERMISSION_TEXT[p] ?? p;
