/** One line of `maestro doctor`: ok, warn (not set up, or worth knowing) or fail (broken), with a hint. */
export type Status = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: Status;
  message: string;
  hint?: string;
}

export interface DoctorOptions {
  project: string;
  env: NodeJS.ProcessEnv;
}

export const check = (name: string, status: Status, message: string, hint?: string): Check => ({
  name,
  status,
  message,
  ...(hint ? { hint } : {}),
});
