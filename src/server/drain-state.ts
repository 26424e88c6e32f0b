/**
 * Whether this instance is shutting down. Set once by shutdown; read per request (one field) so every
 * response sent while draining says Connection: close, and by /healthz, which answers 503 so load
 * balancers in front stop sending before the listeners close.
 */
export class DrainState {
  draining = false
}
