/** How one upstream attempt ended. A client abort is never the backend's fault. */
export const enum Outcome {
  Success = 0,
  HttpError = 1,
  ConnectFailure = 2,
  Timeout = 3,
  Reset = 4,
  ClientAbort = 5,
}
