// Entry point of the value runtime: every export of build/runtime.wasm.
export { hooker_heap_start } from "./memory";
export { hooker_callsite } from "./errors";
export { hooker_input_projection } from "./json";
export * from "./abi";
export * from "./runtime-fns";
export * from "./builtins";
