// The UI's logic, apart from React so it can be unit-tested: one module per
// concern, all re-exported here.
export * from "./account";
export * from "./acme";
export * from "./appShares";
export * from "./apps";
export * from "./backups";
export * from "./backupFiles";
export * from "./compose";
export * from "./format";
export * from "./home";
export * from "./install";
export * from "./shares";
export * from "./limits";
export * from "./logs";
export * from "./names";
export * from "./operations";
export * from "./resources";
export * from "./storage";
export * from "./stores";
export * from "./updates";
