// The example's entry point. The agents add a greeting module next to it.
export const name = "hello";
