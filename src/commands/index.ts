/** Command builders: pure functions from the configuration model to shell argv (see shell.ts). */
export * as accessory from "./accessory.ts";
export * as app from "./app.ts";
export * as assets from "./assets.ts";
export * as audit from "./audit.ts";
export * as builder from "./builder.ts";
export * as hooks from "./hooks.ts";
export * as images from "./images.ts";
export * as lock from "./lock.ts";
export * as names from "./names.ts";
export * as proxy from "./proxy.ts";
export * as proxyBootConfig from "./proxy-boot-config.ts";
export * as prune from "./prune.ts";
export * as registry from "./registry.ts";
export * as server from "./server.ts";
export * as shell from "./shell.ts";
export { render, type Argv, type Token } from "./shell.ts";
