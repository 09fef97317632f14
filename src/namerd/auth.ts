/** namerd's write protection is the bearer check every control-plane API uses (src/http/bearer-auth.ts). */
export { WriteAuth } from '../http/bearer-auth.js';
