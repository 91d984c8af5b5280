/**
 * The one Node type hush's public types name: `NodeJS.ProcessEnv` (an environment to read keys and
 * settings from). Declared here as @types/node declares it (a string dictionary), so that the
 * published .d.ts compile in a project without @types/node; with @types/node the two declarations
 * merge. Referenced from index.ts and config.ts, the package's type entries.
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace NodeJS {
    interface ProcessEnv {
      [key: string]: string | undefined;
    }
  }
}

export {};
